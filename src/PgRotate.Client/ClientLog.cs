using Microsoft.Extensions.Logging;

namespace PgRotate.Client;

/// <summary>
/// Every log message of the client. Placeholders carry names, versions and logins, never a token or a password.
/// Event ids: 5xxx.
/// </summary>
internal static partial class ClientLog
{
    [LoggerMessage(5000, LogLevel.Information, "Credential {Secret} is now version {Version} (login {Username})")]
    public static partial void CredentialChanged(ILogger logger, string secret, int version, string username);

    [LoggerMessage(5001, LogLevel.Warning,
        "The pgrotate server cannot be reached for {Secret}: {Reason}. Keeping version {Version} (login {Username}) and retrying with backoff; nothing more is logged until it answers")]
    public static partial void ServerUnreachable(ILogger logger, string secret, string reason, int version, string username);

    [LoggerMessage(5002, LogLevel.Debug, "The pgrotate server still cannot be reached for {Secret} (attempt {Attempt}): {Reason}; next attempt in {DelayMs} ms")]
    public static partial void StillUnreachable(ILogger logger, string secret, int attempt, string reason, long delayMs);

    [LoggerMessage(5003, LogLevel.Information, "The pgrotate server answers again for {Secret} after {Seconds} s and {Attempts} failed attempts")]
    public static partial void ServerBack(ILogger logger, string secret, long seconds, int attempts);

    [LoggerMessage(5004, LogLevel.Error, "A handler of the credential change of {Secret} failed")]
    public static partial void HandlerFailed(ILogger logger, string secret, Exception exception);

    [LoggerMessage(5005, LogLevel.Information, "{Secret}: new connections now log in as {NewUsername} (version {Version}) instead of {OldUsername}; the old login's connections are closed as they come back")]
    public static partial void LoginSwitched(ILogger logger, string secret, string oldUsername, string newUsername, int version);

    [LoggerMessage(5008, LogLevel.Debug, "{Secret}: warming up connections as {Username} stopped: {Reason}; new connections move to it anyway")]
    public static partial void WarmUpFailed(ILogger logger, string secret, string username, string reason);

    [LoggerMessage(5006, LogLevel.Warning, "{Secret}: PostgreSQL refused login {Username} (version {Version}, SQLSTATE {SqlState}); fetching a fresh credential and retrying once")]
    public static partial void LoginRefused(ILogger logger, string secret, string username, int version, string sqlState);

    [LoggerMessage(5007, LogLevel.Warning, "{Secret}: could not fetch a fresh credential after a refused login: {Reason}")]
    public static partial void RefreshAfterRefusalFailed(ILogger logger, string secret, string reason);

    [LoggerMessage(5010, LogLevel.Debug, "{Secret}: lease {LeaseId} (login {Username}) renewed until {ExpiresAt:O}")]
    public static partial void LeaseRenewed(ILogger logger, string secret, string leaseId, string username, DateTimeOffset expiresAt);

    [LoggerMessage(5011, LogLevel.Information, "{Secret}: moved from lease {OldLeaseId} to a fresh lease {LeaseId} (login {Username}, renewable until {MaxExpiresAt:O}): {Reason}")]
    public static partial void LeaseMoved(ILogger logger, string secret, string oldLeaseId, string leaseId, string username, DateTimeOffset maxExpiresAt, string reason);

    [LoggerMessage(5012, LogLevel.Information, "{Secret}: lease {LeaseId} revoked (login {Username} dropped)")]
    public static partial void LeaseRevoked(ILogger logger, string secret, string leaseId, string username);

    [LoggerMessage(5013, LogLevel.Warning, "{Secret}: could not revoke lease {LeaseId} (login {Username}): {Reason}; it ends at its expiry {ExpiresAt:O} instead")]
    public static partial void LeaseRevokeFailed(ILogger logger, string secret, string leaseId, string username, DateTimeOffset expiresAt, string reason);

    [LoggerMessage(5014, LogLevel.Warning, "{Secret}: could not renew lease {LeaseId} (login {Username}, valid until {ExpiresAt:O}): {Reason}; retrying with backoff")]
    public static partial void LeaseRenewFailed(ILogger logger, string secret, string leaseId, string username, DateTimeOffset expiresAt, string reason);

    [LoggerMessage(5015, LogLevel.Warning, "{Secret}: lease {LeaseId} (login {Username}) expires at {ExpiresAt:O} and the pgrotate server cannot be reached to renew or replace it: {Reason}; new connections will be refused after that")]
    public static partial void LeaseAboutToExpire(ILogger logger, string secret, string leaseId, string username, DateTimeOffset expiresAt, string reason);

    [LoggerMessage(5016, LogLevel.Information, "{Secret}: the pgrotate server answers again; lease {LeaseId} (login {Username}) is valid until {ExpiresAt:O}")]
    public static partial void LeaseKeptAgain(ILogger logger, string secret, string leaseId, string username, DateTimeOffset expiresAt);
}

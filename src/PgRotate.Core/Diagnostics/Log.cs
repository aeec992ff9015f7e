using Microsoft.Extensions.Logging;
using PgRotate.Postgres;
using PgRotate.Rotation;

namespace PgRotate.Diagnostics;

/// <summary>
/// Every log message pgrotate writes. Placeholders carry names and facts, never a password or verifier.
/// Event ids: 1xxx rotation, 2xxx setup, 3xxx operations on a target server.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "Rotated {Secret} to version {Version} (login {Username}) in {ElapsedMs} ms")]
    public static partial void Rotated(ILogger logger, string secret, int version, string username, long elapsedMs);

    [LoggerMessage(1001, LogLevel.Information, "Resuming rotation of {Secret} at version {Version} (login {Username})")]
    public static partial void Resuming(ILogger logger, string secret, int version, string username);

    [LoggerMessage(1002, LogLevel.Warning, "Step {Step} of {Secret} failed transiently (attempt {Attempt}); retrying in {DelayMs} ms: {Reason}")]
    public static partial void StepRetried(ILogger logger, string secret, RotationStep step, int attempt, long delayMs, string reason);

    [LoggerMessage(1003, LogLevel.Error, "Rotation of {Secret} failed its test at version {Version}; the new credential was invalidated and not promoted: {Reason}")]
    public static partial void TestFailed(ILogger logger, string secret, int version, string reason);

    [LoggerMessage(1004, LogLevel.Warning, "Applied the stored grace end of {Secret} version {Version} (login {Username}), which an interrupted run had not set on the server")]
    public static partial void GraceRepaired(ILogger logger, string secret, int version, string username);

    [LoggerMessage(1005, LogLevel.Error, "Could not record {Action} of {Secret} in the audit log: {Reason}")]
    public static partial void AuditNotRecorded(ILogger logger, string action, string? secret, string reason);

    [LoggerMessage(1006, LogLevel.Error, "Scheduler: {Reason}; trying again on the next tick")]
    public static partial void SchedulerTickFailed(ILogger logger, string reason);

    [LoggerMessage(1007, LogLevel.Warning, "Scheduler: rotation of {Secret} failed ({Failures} in a row); next attempt at {RetryAt}: {Reason}")]
    public static partial void SchedulerBackingOff(ILogger logger, string secret, int failures, DateTimeOffset retryAt, string reason);

    [LoggerMessage(3000, LogLevel.Debug, "{Operation} on target {Target}: {Outcome} in {ElapsedMs} ms")]
    public static partial void TargetOperationRan(ILogger logger, TargetOperation operation, string target, string outcome, double elapsedMs);

    [LoggerMessage(3001, LogLevel.Debug, "{Operation} on target {Target} failed: {Reason}")]
    public static partial void TargetOperationFailed(ILogger logger, TargetOperation operation, string target, string reason);
}

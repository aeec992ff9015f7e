using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.RegularExpressions;
using Npgsql;
using PgRotate.Errors;

namespace PgRotate.Postgres;

/// <summary>
/// Turns driver and server failures into <see cref="PgRotateException"/>s with a stable code and a message that says
/// what failed where. Decisions read SQLSTATE through <see cref="PostgresErrorCodes"/>, never message text; any SCRAM
/// verifier that PostgreSQL echoes back is scrubbed.
/// </summary>
public static partial class PostgresErrors
{
    /// <summary>
    /// As <see cref="Translate(Exception, string)"/>, for a statement run as <paramref name="target"/>'s admin role: a
    /// permission denied names that role and the statements that fix it.
    /// </summary>
    public static PgRotateException Translate(Exception exception, string what, Targets.Target target) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege } pg
            ? new PgRotateException(ErrorCode.PermissionDenied,
                $"{what}: {Scrub(pg.MessageText)}: {target.Username} lacks the privilege; as a superuser, run what 'pgrotate target check {target.Name}' prints (on PostgreSQL 16+ CREATEROLE and the ADMIN option on each role it changes: GRANT \"role\" TO {Sql.Identifier(target.Username)} WITH ADMIN TRUE, INHERIT FALSE, SET FALSE; on 15 CREATEROLE: ALTER ROLE {Sql.Identifier(target.Username)} CREATEROLE;)",
                pg)
            : Translate(exception, what);

    public static PgRotateException Translate(Exception exception, string what)
    {
        switch (exception)
        {
            case PgRotateException known:
                return known;
            case NpgsqlException { InnerException: AggregateException } when FirstHostFailure(exception) is { } first && first != exception:
                return Translate(first, what);
            case PostgresException pg:
                var text = Scrub(pg.MessageText);
                return pg.SqlState switch
                {
                    PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification =>
                        new PgRotateException(ErrorCode.AuthenticationFailed, $"{what}: {text}", pg),
                    PostgresErrorCodes.InvalidCatalogName =>
                        new PgRotateException(ErrorCode.InvalidInput, $"{what}: {text}", pg),
                    PostgresErrorCodes.InsufficientPrivilege =>
                        new PgRotateException(ErrorCode.PermissionDenied, $"{what}: {text}: the target's admin role lacks the privilege; as a superuser, run the statements 'pgrotate target check TARGET --group GROUP' prints", pg),
                    PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                        or PostgresErrorCodes.TooManyConnections =>
                        new PgRotateException(ErrorCode.TargetUnreachable, $"{what}: {text}", pg),
                    _ => new PgRotateException(ErrorCode.PostgresError, $"{what}: {pg.SqlState}: {text}", pg),
                };
            case NpgsqlException when RefusedAuthenticationMethod(exception) is { } method:
                return new PgRotateException(ErrorCode.AuthenticationFailed, $"{what}: {RefusalText(method)}", exception);
            case NpgsqlException { InnerException: AuthenticationException tls }:
                return new PgRotateException(ErrorCode.TargetUnreachable, $"{what}: TLS handshake failed: {Scrub(tls.Message)}", tls);
            case NpgsqlException { InnerException: SocketException socket }:
                return new PgRotateException(ErrorCode.TargetUnreachable, $"{what}: cannot connect: {socket.Message}", exception);
            case NpgsqlException { InnerException: TimeoutException }:
            case TimeoutException:
                return new PgRotateException(ErrorCode.TargetUnreachable, $"{what}: timed out waiting for the server", exception);
            case NpgsqlException npgsql when npgsql.IsTransient:
                return new PgRotateException(ErrorCode.TargetUnreachable, $"{what}: {Scrub(npgsql.Message)}", exception);
            case SocketException socket:
                return new PgRotateException(ErrorCode.TargetUnreachable, $"{what}: cannot connect: {socket.Message}", exception);
            default:
                return new PgRotateException(ErrorCode.PostgresError, $"{what}: {Scrub(exception.Message)}", exception);
        }
    }

    /// <summary>
    /// With several hosts in the connection string Npgsql reports "Unable to connect to a suitable host" and keeps each
    /// host's failure in an AggregateException; this is the first host's, which says what went wrong. Otherwise the
    /// exception itself.
    /// </summary>
    internal static Exception FirstHostFailure(Exception exception) =>
        exception is NpgsqlException { InnerException: AggregateException { InnerExceptions: [var first, ..] } } ? first : exception;

    /// <summary>
    /// The authentication method Npgsql refused because <see cref="TargetConnector.RequireAuth"/> does not allow it
    /// ("Password", "MD5", "GSS", "SSPI"), or null. Npgsql reports this only in its message text, so that is read here.
    /// </summary>
    internal static string? RefusedAuthenticationMethod(Exception exception) =>
        exception is NpgsqlException and not PostgresException && RefusedMethodPattern().Match(exception.Message) is { Success: true } match
            ? match.Groups[1].Value
            : null;

    private static string RefusalText(string method) => method switch
    {
        "Password" => "the server asked for the password in cleartext; pgrotate sent nothing (it gives passwords only to SCRAM-SHA-256): set this login's pg_hba.conf method to scram-sha-256",
        "MD5" => "the server asked for an MD5 password hash; pgrotate sent nothing (it gives passwords only to SCRAM-SHA-256): set this login's pg_hba.conf method to scram-sha-256 and its password with password_encryption = scram-sha-256",
        _ => $"the server asked for {method} authentication; pgrotate logs in only with SCRAM-SHA-256: set this login's pg_hba.conf method to scram-sha-256",
    };

    /// <summary>True for failures worth retrying: the server restarting, a dropped connection, a concurrent role update.</summary>
    internal static bool IsTransient(Exception exception) => exception switch
    {
        PostgresException pg => pg.IsTransient || pg.SqlState is PostgresErrorCodes.InternalError /* tuple concurrently updated */
            or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.AdminShutdown
            or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.CrashShutdown,
        NpgsqlException npgsql => npgsql.IsTransient,
        // A refused certificate or a server without TLS does not heal by retrying.
        PgRotateException { Code: ErrorCode.TargetUnreachable, InnerException: AuthenticationException } => false,
        PgRotateException { Code: ErrorCode.TargetUnreachable } => true,
        PgRotateException { InnerException: { } inner } => IsTransient(inner),
        SocketException or TimeoutException or IOException => true,
        _ => false,
    };

    /// <summary>Removes SCRAM verifiers and quoted literals that could hold one from text PostgreSQL produced.</summary>
    public static string Scrub(string text) => VerifierPattern().Replace(text, "[redacted]");

    [GeneratedRegex("^\"(\\w+)\" authentication method is not allowed")]
    private static partial Regex RefusedMethodPattern();

    [GeneratedRegex(@"SCRAM-SHA-256\$[A-Za-z0-9+/=:$]*")]
    private static partial Regex VerifierPattern();
}

using System.Net.Sockets;
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
    public static PgRotateException Translate(Exception exception, string what)
    {
        switch (exception)
        {
            case PgRotateException known:
                return known;
            case PostgresException pg:
                var text = Scrub(pg.MessageText);
                return pg.SqlState switch
                {
                    PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification =>
                        new PgRotateException(ErrorCode.AuthenticationFailed, $"{what}: {text}", pg),
                    PostgresErrorCodes.InvalidCatalogName =>
                        new PgRotateException(ErrorCode.InvalidInput, $"{what}: {text}", pg),
                    PostgresErrorCodes.InsufficientPrivilege =>
                        new PgRotateException(ErrorCode.PermissionDenied, $"{what}: {text}; 'pgrotate target check' prints the grants the rotator needs", pg),
                    PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                        or PostgresErrorCodes.TooManyConnections =>
                        new PgRotateException(ErrorCode.TargetUnreachable, $"{what}: {text}", pg),
                    _ => new PgRotateException(ErrorCode.PostgresError, $"{what}: {pg.SqlState}: {text}", pg),
                };
            case NpgsqlException { InnerException: SocketException socket }:
                return new PgRotateException(ErrorCode.TargetUnreachable, $"{what}: cannot connect: {socket.Message}", exception);
            case NpgsqlException { InnerException: TimeoutException }:
            case TimeoutException:
                return new PgRotateException(ErrorCode.TargetUnreachable, $"{what}: timed out connecting", exception);
            case NpgsqlException npgsql when npgsql.IsTransient:
                return new PgRotateException(ErrorCode.TargetUnreachable, $"{what}: {Scrub(npgsql.Message)}", exception);
            case SocketException socket:
                return new PgRotateException(ErrorCode.TargetUnreachable, $"{what}: cannot connect: {socket.Message}", exception);
            default:
                return new PgRotateException(ErrorCode.PostgresError, $"{what}: {Scrub(exception.Message)}", exception);
        }
    }

    /// <summary>True for failures worth retrying: the server restarting, a dropped connection, a concurrent role update.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        PostgresException pg => pg.IsTransient || pg.SqlState is PostgresErrorCodes.InternalError /* tuple concurrently updated */
            or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.AdminShutdown
            or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.CrashShutdown,
        NpgsqlException npgsql => npgsql.IsTransient,
        PgRotateException { Code: ErrorCode.TargetUnreachable } => true,
        PgRotateException { InnerException: { } inner } => IsTransient(inner),
        SocketException or TimeoutException or IOException => true,
        _ => false,
    };

    /// <summary>Removes SCRAM verifiers and quoted literals that could hold one from text PostgreSQL produced.</summary>
    public static string Scrub(string text) => VerifierPattern().Replace(text, "[redacted]");

    [GeneratedRegex(@"SCRAM-SHA-256\$[A-Za-z0-9+/=:$]*")]
    private static partial Regex VerifierPattern();
}

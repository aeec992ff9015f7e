using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PgRotate.Crypto;
using PgRotate.Diagnostics;
using PgRotate.Errors;
using PgRotate.Targets;

namespace PgRotate.Postgres;

/// <summary>
/// Everything pgrotate does to a target server, in one place: passwords (as SCRAM verifiers built here with the
/// server's <c>scram_iterations</c>), expiry, role statements applied in one transaction, ending sessions, reading the
/// settings the rest depends on, and logging in with a credential to test it. Every operation goes through
/// <see cref="RunAsync{T}"/>, which times it, counts it (<see cref="TargetMetrics"/>), logs it without secrets, and
/// turns any failure into a <see cref="PgRotateException"/> that names the target and shows statements by their
/// display form (never a verifier). A transient failure (server restarting, dropped connection) keeps its cause as the
/// inner exception, so <see cref="PostgresErrors.IsTransient"/> and the caller's retry still recognise it.
/// </summary>
public sealed class TargetOperations(TargetConnector connector, TimeProvider time, ILogger? logger = null)
{
    /// <summary>How long a server's scram_iterations is trusted before it is read again.</summary>
    private static readonly TimeSpan IterationsKeptFor = TimeSpan.FromMinutes(5);

    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly ConcurrentDictionary<string, (int Iterations, DateTimeOffset ReadAt)> _iterations = new(StringComparer.Ordinal);

    /// <summary>
    /// Gives <paramref name="login"/> a new password, LOGIN and an expiry in one statement (a new password does not reset
    /// an old VALID UNTIL); null <paramref name="validUntil"/> is no expiry.
    /// </summary>
    internal Task SetPasswordAsync(Target target, RoleName login, SecretText password, DateTimeOffset? validUntil, CancellationToken cancellationToken) =>
        RunAsync(target, TargetOperation.SetPassword, async (connection, ct) =>
        {
            var iterations = await ScramIterationsAsync(target, connection, ct).ConfigureAwait(false);
            await ExecuteAsync(connection, target, RoleSql.SetPassword(login, ScramVerifier.Create(password, iterations), validUntil), ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>The admin role's own password: the one change any role may make to itself.</summary>
    internal Task SetOwnPasswordAsync(Target target, SecretText password, CancellationToken cancellationToken) =>
        RunAsync(target, TargetOperation.SetOwnPassword, async (connection, ct) =>
        {
            var iterations = await ScramIterationsAsync(target, connection, ct).ConfigureAwait(false);
            await ExecuteAsync(connection, target, RoleSql.SetOwnPassword(ScramVerifier.Create(password, iterations)), ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>The login's VALID UNTIL, which PostgreSQL itself enforces at every password login.</summary>
    internal Task ExpireAsync(Target target, RoleName login, DateTimeOffset validUntil, CancellationToken cancellationToken) =>
        RunAsync(target, TargetOperation.Expire, async (connection, ct) =>
        {
            await ExecuteAsync(connection, target, RoleSql.Expire(login, validUntil), ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>
    /// Runs planned role statements (create, grant, settings, NOLOGIN, drop …) in one transaction: all of them happen,
    /// or none.
    /// </summary>
    internal Task ApplyAsync(Target target, IReadOnlyList<RoleStatement> statements, CancellationToken cancellationToken) =>
        statements.Count == 0
            ? Task.CompletedTask
            : RunAsync(target, TargetOperation.Apply, async (connection, ct) =>
            {
                var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
                await using var closeTransaction = transaction.ConfigureAwait(false);
                foreach (var statement in statements)
                {
                    try
                    {
                        var command = new NpgsqlCommand(statement.Text, connection, transaction);
                        await using var closeCommand = command.ConfigureAwait(false);
                        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        throw PostgresErrors.Translate(e, $"on target {target.Name}, {statement.Display}", target);
                    }
                }

                await transaction.CommitAsync(ct).ConfigureAwait(false);
                await OverwriteLastStatementAsync(connection, ct).ConfigureAwait(false);
                return true;
            }, cancellationToken);

    /// <summary>
    /// As <see cref="ApplyAsync"/> in one round trip, for the hot path of issuing leases: the statements go as one batch,
    /// which PostgreSQL runs as one implicit transaction (all happen, or none), with a trailing harmless SELECT so that
    /// pg_stat_activity does not keep showing the last statement.
    /// </summary>
    internal Task ApplyInOneRoundTripAsync(Target target, IReadOnlyList<RoleStatement> statements, CancellationToken cancellationToken) =>
        RunAsync(target, TargetOperation.Apply, async (connection, ct) =>
        {
            var batch = new NpgsqlBatch(connection);
            await using var closeBatch = batch.ConfigureAwait(false);
            foreach (var statement in statements)
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand(statement.Text));
            }

            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT 1"));
            try
            {
                await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            catch (PostgresException e) when (e.BatchCommand is { } failed && batch.BatchCommands.IndexOf(failed) is var index && index >= 0 && index < statements.Count)
            {
                throw PostgresErrors.Translate(e, $"on target {target.Name}, {statements[index].Display}", target);
            }

            return true;
        }, cancellationToken);

    /// <summary>
    /// Ends every session of <paramref name="logins"/> but this one, waiting up to 5 s for each to go; returns how many
    /// ended. A refusal says which GRANT allows it.
    /// </summary>
    internal Task<int> TerminateSessionsAsync(Target target, IReadOnlyList<RoleName> logins, CancellationToken cancellationToken) =>
        logins.Count == 0
            ? Task.FromResult(0)
            : RunAsync(target, TargetOperation.TerminateSessions, async (connection, ct) =>
            {
                var command = new NpgsqlCommand(RoleSql.TerminateSessions, connection);
                await using var closeCommand = command.ConfigureAwait(false);
                command.Parameters.Add(new NpgsqlParameter { Value = logins.Select(l => l.Value).ToArray() });
                try
                {
                    return (int)(long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
                {
                    throw new PgRotateException(ErrorCode.PermissionDenied,
                        $"ending the sessions of {string.Join(", ", logins)} on target {target.Name} was refused ({PostgresErrors.Scrub(e.MessageText)}); as a superuser run: GRANT pg_signal_backend TO {Sql.Identifier(target.Username)}", e);
                }
            }, cancellationToken);

    /// <summary>Whether the admin role may end other roles' sessions (superuser or pg_signal_backend).</summary>
    internal Task<bool> MayTerminateSessionsAsync(Target target, CancellationToken cancellationToken) =>
        RunAsync(target, TargetOperation.ReadSettings, async (connection, ct) =>
        {
            var command = new NpgsqlCommand(
                "SELECT rolsuper OR pg_has_role('pg_signal_backend', 'USAGE') FROM pg_roles WHERE rolname = current_user", connection);
            await using var closeCommand = command.ConfigureAwait(false);
            return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is true;
        }, cancellationToken);

    /// <summary>The server's <c>scram_iterations</c> (16+; 4096 before), remembered for a few minutes per target.</summary>
    internal Task<int> ScramIterationsAsync(Target target, CancellationToken cancellationToken) =>
        RunAsync(target, TargetOperation.ReadSettings, (connection, ct) => ScramIterationsAsync(target, connection, ct), cancellationToken);

    /// <summary>The server's version as <c>server_version_num</c> (e.g. 150004).</summary>
    public Task<int> ServerVersionAsync(Target target, CancellationToken cancellationToken) =>
        RunAsync(target, TargetOperation.ReadSettings, (connection, ct) => RoleCatalog.ServerVersionNumAsync(connection, ct), cancellationToken);

    /// <summary>
    /// Logs in as <paramref name="username"/> on a fresh, unpooled connection and proves it arrives as that session user
    /// acting as <paramref name="expectedCurrentUser"/>, then runs <paramref name="checkSql"/> read-only. A failure is a
    /// <see cref="ErrorCode.RotationFailed"/> (or the login's own error: authentication, unreachable …).
    /// </summary>
    internal Task TestLoginAsync(Target target, string username, SecretText password, string expectedCurrentUser, string? checkSql, CancellationToken cancellationToken) =>
        MeasureAsync(target, TargetOperation.TestLogin, async ct =>
        {
            var connection = await connector.OpenAsAsync(target, username, password, ct).ConfigureAwait(false);
            await using var closeConnection = connection.ConfigureAwait(false);
            await LoginCheck.RunAsync(connection, username, expectedCurrentUser, checkSql, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>Whether <paramref name="username"/> logs in with <paramref name="password"/>; false only when the server refuses the password.</summary>
    internal Task<bool> LogsInAsync(Target target, string username, SecretText password, CancellationToken cancellationToken) =>
        MeasureAsync(target, TargetOperation.TestLogin, async ct =>
        {
            try
            {
                var connection = await connector.OpenAsAsync(target, username, password, ct).ConfigureAwait(false);
                await using var closeConnection = connection.ConfigureAwait(false);
                return true;
            }
            catch (PgRotateException e) when (e.Code == ErrorCode.AuthenticationFailed)
            {
                return false;
            }
        }, cancellationToken);

    /// <summary>The one wrapper of every operation on a pooled admin connection.</summary>
    private Task<T> RunAsync<T>(Target target, TargetOperation operation, Func<NpgsqlConnection, CancellationToken, Task<T>> action, CancellationToken cancellationToken) =>
        MeasureAsync(target, operation, async ct =>
        {
            var connection = await connector.OpenAdminAsync(target, ct).ConfigureAwait(false);
            await using var closeConnection = connection.ConfigureAwait(false);
            return await action(connection, ct).ConfigureAwait(false);
        }, cancellationToken);

    private async Task<T> MeasureAsync<T>(Target target, TargetOperation operation, Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var outcome = "ok";
        try
        {
            return await action(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            outcome = "cancelled";
            throw;
        }
        catch (Exception e)
        {
            outcome = PostgresErrors.IsTransient(e) ? "transient" : "failed";
            var translated = PostgresErrors.Translate(e, $"on target {target.Name}", target);
            Log.TargetOperationFailed(_logger, operation, target.Name, translated.Message);
            throw translated;
        }
        finally
        {
            var elapsed = time.GetElapsedTime(started);
            TargetMetrics.Record(target.Name, operation, outcome, elapsed);
            Log.TargetOperationRan(_logger, operation, target.Name, outcome, elapsed.TotalMilliseconds);
        }
    }

    private async Task<int> ScramIterationsAsync(Target target, NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_iterations.TryGetValue(target.Name, out var known) && now - known.ReadAt < IterationsKeptFor)
        {
            return known.Iterations;
        }

        var iterations = await ReadScramIterationsAsync(connection, cancellationToken).ConfigureAwait(false);
        _iterations[target.Name] = (iterations, now);
        return iterations;
    }

    /// <summary>
    /// The <c>scram_iterations</c> that <paramref name="connection"/>'s session hashes with (16+), so our verifiers cost
    /// what the DBA chose; 4096 before 16, which has no such setting.
    /// </summary>
    internal static async Task<int> ReadScramIterationsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand("SELECT current_setting('scram_iterations', true)", connection);
        await using var closeCommand = command.ConfigureAwait(false);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
        return int.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var read) && read > 0 ? read : ScramVerifier.DefaultIterations;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, Target target, RoleStatement statement, CancellationToken cancellationToken)
    {
        try
        {
            // One round trip; the trailing SELECT replaces the statement pg_stat_activity shows for this idle session.
            var command = new NpgsqlCommand(statement.Text + "; SELECT 1", connection);
            await using var closeCommand = command.ConfigureAwait(false);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not PgRotateException)
        {
            throw PostgresErrors.Translate(e, $"on target {target.Name}, {statement.Display}", target);
        }
    }

    /// <summary>pg_stat_activity shows a session's last statement while it idles; leave a harmless one there.</summary>
    private static async Task OverwriteLastStatementAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var overwrite = new NpgsqlCommand("SELECT 1", connection);
        await using var closeOverwrite = overwrite.ConfigureAwait(false);
        await overwrite.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}

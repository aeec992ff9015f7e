using Npgsql;
using PgRotate.Errors;

namespace PgRotate.Postgres;

/// <summary>
/// What a fresh login must show to count as working: the expected session user, acting as the expected role (a login
/// whose membership was lost only gets a WARNING from the server and silently acts as itself), then the caller's own
/// check query, which can read but never write.
/// </summary>
internal static class LoginCheck
{
    /// <summary>How long a check query may run before the test fails.</summary>
    public static readonly TimeSpan CheckQueryTimeout = TimeSpan.FromSeconds(20);

    public static async Task RunAsync(NpgsqlConnection connection, string username, string expectedCurrentUser, string? checkSql, CancellationToken cancellationToken)
    {
        try
        {
            var command = new NpgsqlCommand("SELECT session_user::text, current_user::text", connection);
            await using var closeCommand = command.ConfigureAwait(false);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var sessionUser = reader.GetString(0);
                var currentUser = reader.GetString(1);
                if (sessionUser != username)
                {
                    throw new PgRotateException(ErrorCode.RotationFailed, $"login as {username} arrived as session user {sessionUser}");
                }

                if (currentUser != expectedCurrentUser)
                {
                    throw new PgRotateException(ErrorCode.RotationFailed,
                        $"login as {username} acts as {currentUser}, not {expectedCurrentUser}: its membership in {expectedCurrentUser} or its role setting is missing ('pgrotate check' shows which); objects it created would not belong to the group");
                }
            }

            if (!string.IsNullOrWhiteSpace(checkSql))
            {
                await RunReadOnlyAsync(connection, checkSql, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (PostgresException e)
        {
            var reason = e.SqlState == PostgresErrorCodes.QueryCanceled
                ? $"did not finish within {CheckQueryTimeout.TotalSeconds:0} s"
                : $"failed: {e.SqlState}: {PostgresErrors.Scrub(e.MessageText)}";
            throw new PgRotateException(ErrorCode.RotationFailed, $"check query as {username} {reason}", e);
        }
    }

    /// <summary>
    /// Runs a check query so that it cannot change anything: inside <c>BEGIN READ ONLY</c>, after a first query has
    /// fixed the transaction's snapshot (from then on PostgreSQL refuses <c>SET TRANSACTION READ WRITE</c>), as one
    /// batch command, which Npgsql sends as a single statement without splitting it at semicolons (the server refuses
    /// several, so a <c>COMMIT; …</c> cannot leave the transaction), and always rolled back.
    /// </summary>
    private static async Task RunReadOnlyAsync(NpgsqlConnection connection, string checkSql, CancellationToken cancellationToken)
    {
        // The statement timeout ends a check that hangs (a lock wait, a runaway query) as a failed test, well before the
        // driver's own command timeout, whose error would read as an unreachable server and be retried.
        var begin = new NpgsqlCommand($"BEGIN READ ONLY; SET LOCAL statement_timeout = '{(int)CheckQueryTimeout.TotalMilliseconds}'; SELECT 1", connection);
        await using (begin.ConfigureAwait(false))
        {
            await begin.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var check = new NpgsqlBatch(connection) { BatchCommands = { new NpgsqlBatchCommand(checkSql) } };
            await using var closeCheck = check.ConfigureAwait(false);
            await check.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // A dropped connection ends its transaction by itself; a ROLLBACK there would only hide the real error.
            if (connection.State == System.Data.ConnectionState.Open)
            {
                var rollback = new NpgsqlCommand("ROLLBACK", connection);
                await using var closeRollback = rollback.ConfigureAwait(false);
                await rollback.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
    }
}

using Npgsql;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Targets;

namespace PgRotate.Leases;

/// <summary>
/// Drops many lease roles of one secret on one admin connection, in a handful of round trips whatever their number:
/// which of them still exist (one query), <c>NOLOGIN</c> for all of those (one batch, committed before their sessions
/// are ended, so none can log in again meanwhile), their sessions ended (one query), which of them own objects or hold
/// privileges anywhere (one pg_shdepend query), then one <c>DROP ROLE IF EXISTS</c> for all that have no such
/// dependency. A role with dependencies goes through <paramref name="dropOne"/> (REASSIGN OWNED and DROP OWNED in each
/// database that needs it). Every step is safe to repeat; any failure is thrown for the whole batch, and the caller
/// retries its roles one at a time, so one role that cannot be dropped does not keep the others.
/// </summary>
internal sealed class LeaseRoleBatchDrop(TargetConnector connector, Func<RoleName, CancellationToken, Task> dropOne)
{
    public async Task DropAsync(Target target, IReadOnlyList<RoleName> roles, CancellationToken cancellationToken)
    {
        IReadOnlyList<RoleName> withDependencies;
        var connection = await connector.OpenAdminAsync(target, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                var names = roles.Select(r => r.Value).ToArray();
                var existing = await NamesAsync(connection, "SELECT rolname::text FROM pg_roles WHERE rolname = ANY($1)", names, cancellationToken).ConfigureAwait(false);
                if (existing.Count == 0)
                {
                    return;
                }

                var present = roles.Where(r => existing.Contains(r.Value)).ToList();
                await RunAsync(connection, present.Select(RoleSql.NoLogin), cancellationToken).ConfigureAwait(false);
                var terminate = new NpgsqlCommand(RoleSql.TerminateSessions, connection);
                await using (terminate.ConfigureAwait(false))
                {
                    terminate.Parameters.Add(new NpgsqlParameter { Value = present.Select(r => r.Value).ToArray() });
                    await terminate.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                }

                var dependent = await NamesAsync(connection, LeaseSql.RolesWithDependencies, [.. existing], cancellationToken).ConfigureAwait(false);
                var free = present.Where(r => !dependent.Contains(r.Value)).ToList();
                if (free.Count > 0)
                {
                    await RunAsync(connection, [RoleStatement.Plain($"DROP ROLE IF EXISTS {string.Join(", ", free.Select(r => r.Quoted))}")], cancellationToken).ConfigureAwait(false);
                }

                withDependencies = [.. present.Where(r => dependent.Contains(r.Value))];
            }
            catch (Exception e) when (e is not OperationCanceledException and not PgRotateException)
            {
                throw PostgresErrors.Translate(e, $"on target {target.Name}, dropping {roles.Count} lease roles", target);
            }
        }

        foreach (var role in withDependencies)
        {
            await dropOne(role, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Statements in one round trip; PostgreSQL runs a batch as one implicit transaction, so all or none.</summary>
    private static async Task RunAsync(NpgsqlConnection connection, IEnumerable<RoleStatement> statements, CancellationToken cancellationToken)
    {
        var batch = new NpgsqlBatch(connection);
        await using var closeBatch = batch.ConfigureAwait(false);
        foreach (var statement in statements)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(statement.Text));
        }

        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<HashSet<string>> NamesAsync(NpgsqlConnection connection, string sql, string[] names, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(sql, connection);
        await using var closeCommand = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter { Value = names });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        var found = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            found.Add(reader.GetString(0));
        }

        return found;
    }
}

using PgRotate.Errors;
using PgRotate.Scheduling;
using PgRotate.Store;

namespace PgRotate.Store.Sqlite;

public sealed partial class SqliteSecretStore
{
    /// <summary>
    /// <c>secret update</c>: the settings that decide when and how long, never which roles or where. Changes only
    /// schedule, grace_ms, check_sql and next_rotation_at, and records <paramref name="detail"/> (which must hold no
    /// secret value) in the history, in one transaction.
    /// </summary>
    public async Task UpdateSecretSettingsAsync(string name, Schedule? schedule, TimeSpan? grace, string? checkSql, DateTimeOffset? nextRotationAt, string detail, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var transaction = BeginWriteTransaction(connection);
        await using var closeTransaction = transaction.ConfigureAwait(false);
        var changed = await ExecuteAsync(connection, transaction,
            "UPDATE secrets SET schedule = $schedule, grace_ms = $grace, check_sql = $check, next_rotation_at = $next WHERE name = $n", cancellationToken,
            ("$n", name), ("$schedule", schedule?.Text), ("$grace", (long?)grace?.TotalMilliseconds), ("$check", checkSql),
            ("$next", nextRotationAt is { } next ? Format(next) : null)).ConfigureAwait(false);
        if (changed == 0)
        {
            throw new PgRotateException(ErrorCode.NotFound, $"unknown secret {name}; 'pgrotate secret list' shows the registered ones");
        }

        await AppendHistoryAsync(connection, transaction, name, null, "updated", detail, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}

namespace PgRotate.Store.Postgres;

public sealed partial class PostgresSecretStore
{
    public Task PostponeRotationAsync(string secret, DateTimeOffset retryAt, CancellationToken cancellationToken) => WriteAsync(async (db, transaction) =>
        await ExecuteAsync(db, transaction, $"UPDATE {_tables.Secrets} SET next_rotation_at = $2 WHERE name = $1 AND next_rotation_at IS NOT NULL", cancellationToken,
            secret, Utc(retryAt)).ConfigureAwait(false), cancellationToken);
}

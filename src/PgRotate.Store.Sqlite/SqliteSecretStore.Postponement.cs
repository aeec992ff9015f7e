namespace PgRotate.Store.Sqlite;

public sealed partial class SqliteSecretStore
{
    public async Task PostponeRotationAsync(string secret, DateTimeOffset retryAt, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        await ExecuteAsync(connection, null, "UPDATE secrets SET next_rotation_at = $at WHERE name = $s AND next_rotation_at IS NOT NULL", cancellationToken,
            ("$s", secret), ("$at", Format(retryAt))).ConfigureAwait(false);
    }
}

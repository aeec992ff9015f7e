using System.Reflection;
using Microsoft.Data.Sqlite;
using PgRotate.Errors;

namespace PgRotate.Store.Sqlite;

/// <summary>
/// Versioned schema changes, applied in order inside one transaction each; the applied version is SQLite's
/// <c>user_version</c>. A store from a newer pgrotate is refused rather than guessed at.
/// </summary>
internal static class Migrations
{
    private static readonly Assembly Resources = typeof(Migrations).Assembly;

    public static async Task ApplyAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var scripts = Resources.GetManifestResourceNames()
            .Where(n => n.Contains(".Sqlite.Migrations.", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();

        var versionCommand = connection.CreateCommand();
        await using var closeVersionCommand = versionCommand.ConfigureAwait(false);
        versionCommand.CommandText = "PRAGMA user_version";
        var current = Convert.ToInt32(await versionCommand.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        if (current > scripts.Count)
        {
            throw new PgRotateException(ErrorCode.StoreCorrupt, $"the store has schema version {current}, newer than this pgrotate knows ({scripts.Count}); upgrade pgrotate");
        }

        for (var version = current + 1; version <= scripts.Count; version++)
        {
            var stream = Resources.GetManifestResourceStream(scripts[version - 1])!;
            await using var closeStream = stream.ConfigureAwait(false);
            using var reader = new StreamReader(stream);
            var sql = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var closeTransaction = transaction.ConfigureAwait(false);
            var command = connection.CreateCommand();
            await using var closeCommand = command.ConfigureAwait(false);
            command.Transaction = transaction;
            command.CommandText = sql + $"\nPRAGMA user_version = {version};";
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}

using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Npgsql;
using PgRotate.Errors;
using PgRotate.Postgres;

namespace PgRotate.Store.Postgres;

/// <summary>
/// Versioned schema changes of the PostgreSQL store (embedded <c>Migrations/NNN_*.sql</c>), applied in order inside the
/// caller's transaction, each recorded in the store's <c>schema_version</c> table. The caller first takes
/// <see cref="LockAsync"/>, so two pgrotate processes starting at once apply each change once: the second waits, then
/// finds nothing left to do. A store from a newer pgrotate is refused rather than guessed at.
/// </summary>
internal static class PostgresMigrations
{
    private static readonly Assembly Resources = typeof(PostgresMigrations).Assembly;

    /// <summary>A transaction-level advisory lock on the store's schema, released by PostgreSQL at commit or rollback.</summary>
    public static async Task LockAsync(NpgsqlConnection db, NpgsqlTransaction transaction, string schema, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", db, transaction)
        {
            Parameters = { new NpgsqlParameter { Value = AdvisoryKey("pgrotate store migration", schema) } },
        };
        await using var closeCommand = command.ConfigureAwait(false);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether the store already has every change this pgrotate knows (the usual case), read without any lock.</summary>
    public static async Task<bool> IsCurrentAsync(NpgsqlConnection db, string schema, CancellationToken cancellationToken)
    {
        var versions = Sql.Identifier(schema) + ".schema_version";
        var command = new NpgsqlCommand($"SELECT CASE WHEN to_regclass($1) IS NULL THEN 0 ELSE (SELECT coalesce(max(version), 0) FROM {versions}) END", db)
        {
            Parameters = { new NpgsqlParameter { Value = versions } },
        };
        await using var closeCommand = command.ConfigureAwait(false);
        return (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! == Scripts().Count;
    }

    public static async Task ApplyAsync(NpgsqlConnection db, NpgsqlTransaction transaction, string schema, string location, CancellationToken cancellationToken)
    {
        var scripts = Scripts();
        var versions = Sql.Identifier(schema) + ".schema_version";

        // Unqualified names in the scripts land in the store's schema; SET LOCAL ends with the transaction.
        await ExecuteAsync(db, transaction, $"SET LOCAL search_path = {Sql.Identifier(schema)}", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(db, transaction,
            $"CREATE TABLE IF NOT EXISTS {versions} (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())", cancellationToken).ConfigureAwait(false);
        var currentCommand = new NpgsqlCommand($"SELECT coalesce(max(version), 0) FROM {versions}", db, transaction);
        await using var closeCurrentCommand = currentCommand.ConfigureAwait(false);
        var current = (int)(await currentCommand.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        if (current > scripts.Count)
        {
            throw new PgRotateException(ErrorCode.StoreCorrupt, $"store {location} has schema version {current}, newer than this pgrotate knows ({scripts.Count}); upgrade pgrotate");
        }

        for (var version = current + 1; version <= scripts.Count; version++)
        {
            var stream = Resources.GetManifestResourceStream(scripts[version - 1])!;
            await using var closeStream = stream.ConfigureAwait(false);
            using var reader = new StreamReader(stream);
            await ExecuteAsync(db, transaction, await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            var record = new NpgsqlCommand($"INSERT INTO {versions}(version) VALUES ($1)", db, transaction)
            {
                Parameters = { new NpgsqlParameter { Value = version } },
            };
            await using var closeRecord = record.ConfigureAwait(false);
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await ExecuteAsync(db, transaction, "SET LOCAL search_path = DEFAULT", cancellationToken).ConfigureAwait(false);
    }

    private static List<string> Scripts() => Resources.GetManifestResourceNames()
        .Where(n => n.Contains(".Migrations.", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal)
        .ToList();

    /// <summary>
    /// A 64-bit advisory lock key from a purpose and a name: the first eight bytes of their SHA-256, computed here so
    /// that it does not depend on a server's hash function. Advisory locks are per database, so the purpose keeps
    /// pgrotate's keys apart from each other (and, with the schema in the name, two stores in one database apart).
    /// </summary>
    public static long AdvisoryKey(string purpose, string name) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes(purpose + "\n" + name)), 0);

    private static async Task ExecuteAsync(NpgsqlConnection db, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(sql, db, transaction);
        await using var closeCommand = command.ConfigureAwait(false);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}

using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using PgRotate.Audit;
using PgRotate.Errors;

namespace PgRotate.Store.Sqlite;

public sealed partial class SqliteSecretStore
{
    private const string AuditColumns = "sequence, at, action, actor, secret, version, address, detail, previous_hash, hash";

    /// <summary>
    /// The audit log in the store file. An append is one write transaction (BEGIN IMMEDIATE) that reads the head, inserts
    /// the entry after it and moves the head: processes sharing the file queue on SQLite's write lock, so the chain never
    /// forks.
    /// </summary>
    private sealed class SqliteAuditLog(SqliteSecretStore store, AuditChain chain) : IAuditLog
    {
        public async Task<AuditEntry> AppendAsync(AuditRecord record, CancellationToken cancellationToken) =>
            (await AppendManyAsync([record], cancellationToken).ConfigureAwait(false))[0];

        public async Task<IReadOnlyList<AuditEntry>> AppendManyAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
        {
            if (records.Count == 0)
            {
                return [];
            }

            var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var closeConnection = connection.ConfigureAwait(false);
            var transaction = BeginWriteTransaction(connection);
            await using var closeTransaction = transaction.ConfigureAwait(false);
            var head = await ReadHeadAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            var at = AuditChain.Normalize(store._time.GetUtcNow());
            var entries = new List<AuditEntry>(records.Count);
            // One prepared INSERT for the batch; each entry links to the hash of the one inserted just before it.
            var insert = CreateCommand(connection, transaction,
                $"INSERT INTO audit({AuditColumns}) VALUES ($sequence, $at, $action, $actor, $secret, $version, $address, $detail, $previous, $hash)",
                [("$sequence", 0L), ("$at", Format(at)), ("$action", ""), ("$actor", null), ("$secret", null),
                ("$version", null), ("$address", null), ("$detail", null), ("$previous", ""), ("$hash", "")]);
            await using (insert.ConfigureAwait(false))
            {
                foreach (var record in records)
                {
                    var sequence = head.Sequence + 1;
                    var hash = chain.Hash(head.Hash, sequence, at, record);
                    Set(insert, "$sequence", sequence);
                    Set(insert, "$action", record.Action);
                    Set(insert, "$actor", record.Actor);
                    Set(insert, "$secret", record.Secret);
                    Set(insert, "$version", record.Version);
                    Set(insert, "$address", record.Address);
                    Set(insert, "$detail", record.Detail);
                    Set(insert, "$previous", head.Hash);
                    Set(insert, "$hash", hash);
                    await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    entries.Add(new AuditEntry(sequence, at, record, hash));
                    head = new AuditHead(sequence, hash);
                }
            }

            await store.ExecuteAsync(connection, transaction, "UPDATE meta SET value = $v WHERE key = 'audit_head'", cancellationToken,
                ("$v", head.Format())).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return entries;
        }

        private static void Set(SqliteCommand command, string name, object? value) => command.Parameters[name].Value = value ?? DBNull.Value;

        public async Task<IReadOnlyList<AuditEntry>> ListAsync(long afterSequence, int limit, CancellationToken cancellationToken)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(limit);
            var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var closeConnection = connection.ConfigureAwait(false);
            var entries = new List<AuditEntry>();
            await foreach (var entry in ReadAsync(connection, null, "WHERE sequence > $after ORDER BY sequence LIMIT $limit", cancellationToken, ("$after", afterSequence), ("$limit", limit)).ConfigureAwait(false))
            {
                entries.Add(entry.ToEntry());
            }

            return entries;
        }

        public async Task<long> LastSequenceAsync(CancellationToken cancellationToken)
        {
            var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var closeConnection = connection.ConfigureAwait(false);
            return await store.ScalarAsync<long>(connection, null, "SELECT coalesce(max(sequence), 0) FROM audit", cancellationToken).ConfigureAwait(false);
        }

        public async Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken)
        {
            var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var closeConnection = connection.ConfigureAwait(false);
            // One read transaction: the head and the entries are one snapshot, whatever others append meanwhile.
            var transaction = connection.BeginTransaction(deferred: true);
            await using var closeTransaction = transaction.ConfigureAwait(false);
            var head = await ReadHeadAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            return await chain.VerifyAsync(ReadAsync(connection, transaction, "ORDER BY sequence", cancellationToken), head, cancellationToken).ConfigureAwait(false);
        }

        private static DateTimeOffset? TryParseTime(string text) =>
            DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var time) ? time : null;

        private async Task<AuditHead> ReadHeadAsync(SqliteConnection connection, SqliteTransaction transaction, CancellationToken cancellationToken) =>
            AuditHead.Parse(await store.ScalarAsync<string>(connection, transaction, "SELECT value FROM meta WHERE key = 'audit_head'", cancellationToken).ConfigureAwait(false))
            ?? throw new PgRotateException(ErrorCode.StoreCorrupt,
                $"the audit log of store {store.Path} has no valid head (it was edited outside pgrotate); restore the store from a backup");

        private async IAsyncEnumerable<StoredAuditEntry> ReadAsync(SqliteConnection connection, SqliteTransaction? transaction, string clause,
            [EnumeratorCancellation] CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
        {
            var command = CreateCommand(connection, transaction, $"SELECT {AuditColumns} FROM audit {clause}", parameters);
            await using var closeCommand = command.ConfigureAwait(false);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var closeReader = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return new StoredAuditEntry(
                    reader.GetInt64(0),
                    // A time edited into something that is not one cannot match its hash; verification reports it so.
                    TryParseTime(reader.GetString(1)) ?? DateTimeOffset.MinValue,
                    new AuditRecord(
                        reader.GetString(2),
                        reader.IsDBNull(3) ? null : reader.GetString(3),
                        reader.IsDBNull(4) ? null : reader.GetString(4),
                        reader.IsDBNull(5) ? null : reader.GetInt32(5),
                        reader.IsDBNull(6) ? null : reader.GetString(6),
                        reader.IsDBNull(7) ? null : reader.GetString(7)),
                    reader.GetString(8),
                    reader.GetString(9));
            }
        }
    }
}

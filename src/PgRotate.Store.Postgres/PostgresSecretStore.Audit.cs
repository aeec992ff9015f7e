using System.Runtime.CompilerServices;
using Npgsql;
using PgRotate.Audit;
using PgRotate.Errors;
using PgRotate.Postgres;

namespace PgRotate.Store.Postgres;

public sealed partial class PostgresSecretStore
{
    private const string AuditColumns = "sequence, at, action, actor, secret, version, address, detail, previous_hash, hash";

    /// <summary>
    /// The audit log in the store's schema. An append locks the head row in meta (<c>SELECT … FOR UPDATE</c>), inserts the
    /// entry after it and moves the head, in one transaction: appends from every machine queue on that row, so the chain
    /// never forks.
    /// </summary>
    private sealed class PostgresAuditLog(PostgresSecretStore store, AuditChain chain) : IAuditLog
    {
        private readonly string _audit = Sql.Identifier(store.Connection.Schema) + "." + Sql.Identifier("audit");

        public async Task<AuditEntry> AppendAsync(AuditRecord record, CancellationToken cancellationToken) =>
            (await AppendManyAsync([record], cancellationToken).ConfigureAwait(false))[0];

        public async Task<IReadOnlyList<AuditEntry>> AppendManyAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
        {
            if (records.Count == 0)
            {
                return [];
            }

            return await store.WriteAsync<IReadOnlyList<AuditEntry>>(async (db, transaction) =>
            {
                var head = await ReadHeadAsync(db, transaction, forUpdate: true, cancellationToken).ConfigureAwait(false);
                var at = AuditChain.Normalize(store._time.GetUtcNow());
                var entries = new List<AuditEntry>(records.Count);
                foreach (var record in records)
                {
                    var sequence = head.Sequence + 1;
                    var hash = chain.Hash(head.Hash, sequence, at, record);
                    await ExecuteAsync(db, transaction, $"INSERT INTO {_audit}({AuditColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", cancellationToken,
                        sequence, at, record.Action, record.Actor, record.Secret, record.Version, record.Address, record.Detail, head.Hash, hash).ConfigureAwait(false);
                    entries.Add(new AuditEntry(sequence, at, record, hash));
                    head = new AuditHead(sequence, hash);
                }

                await ExecuteAsync(db, transaction, $"UPDATE {store._tables.Meta} SET value = $1 WHERE key = 'audit_head'", cancellationToken,
                    head.Format()).ConfigureAwait(false);
                return entries;
            }, cancellationToken).ConfigureAwait(false);
        }

        public Task<IReadOnlyList<AuditEntry>> ListAsync(long afterSequence, int limit, CancellationToken cancellationToken)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(limit);
            return store.ReadAsync<IReadOnlyList<AuditEntry>>(async db =>
            {
                var entries = new List<AuditEntry>();
                await foreach (var entry in ReadAsync(db, null, "WHERE sequence > $1 ORDER BY sequence LIMIT $2", cancellationToken, afterSequence, limit).ConfigureAwait(false))
                {
                    entries.Add(entry.ToEntry());
                }

                return entries;
            }, cancellationToken);
        }

        public Task<long> LastSequenceAsync(CancellationToken cancellationToken) => store.ReadAsync(async db =>
            await ScalarAsync<long>(db, null, $"SELECT coalesce(max(sequence), 0) FROM {_audit}", cancellationToken).ConfigureAwait(false), cancellationToken);

        public Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken) => store.ReadAsync(async db =>
        {
            // One snapshot for the head and the entries, whatever others append meanwhile.
            var transaction = await db.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
            await using var closeTransaction = transaction.ConfigureAwait(false);
            var head = await ReadHeadAsync(db, transaction, forUpdate: false, cancellationToken).ConfigureAwait(false);
            return await chain.VerifyAsync(ReadAsync(db, transaction, "ORDER BY sequence", cancellationToken), head, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

        private async Task<AuditHead> ReadHeadAsync(NpgsqlConnection db, NpgsqlTransaction transaction, bool forUpdate, CancellationToken cancellationToken) =>
            AuditHead.Parse(await ScalarAsync<string>(db, transaction,
                $"SELECT value FROM {store._tables.Meta} WHERE key = 'audit_head'" + (forUpdate ? " FOR UPDATE" : ""), cancellationToken).ConfigureAwait(false))
            ?? throw new PgRotateException(ErrorCode.StoreCorrupt,
                $"the audit log of store {store.Location} has no valid head (it was edited outside pgrotate); restore the store from a backup");

        private async IAsyncEnumerable<StoredAuditEntry> ReadAsync(NpgsqlConnection db, NpgsqlTransaction? transaction, string clause,
            [EnumeratorCancellation] CancellationToken cancellationToken, params object?[] values)
        {
            var command = Command(db, transaction, $"SELECT {AuditColumns} FROM {_audit} {clause}", values);
            await using var closeCommand = command.ConfigureAwait(false);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var closeReader = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return new StoredAuditEntry(
                    reader.GetInt64(0),
                    reader.GetFieldValue<DateTimeOffset>(1),
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

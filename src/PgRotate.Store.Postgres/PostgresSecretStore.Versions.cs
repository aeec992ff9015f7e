using System.Data;
using Npgsql;
using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Secrets;

namespace PgRotate.Store.Postgres;

public sealed partial class PostgresSecretStore
{
    private const string VersionColumns = "secret, version, username, password, stage, created_at, activated_at, valid_until";

    public Task<IReadOnlyList<SecretVersion>> ListVersionsAsync(string secret, CancellationToken cancellationToken) =>
        ReadAsync(db => QueryVersionsAsync(db, null, VersionOwner.Secret, "AND secret = $1 ORDER BY version", cancellationToken, secret), cancellationToken);

    public async Task<SecretVersion?> FindVersionAsync(string secret, Stage stage, CancellationToken cancellationToken) =>
        (await ReadAsync(db => QueryVersionsAsync(db, null, VersionOwner.Secret, "AND secret = $1 AND stage = $2", cancellationToken, secret, stage.WireName()), cancellationToken).ConfigureAwait(false))
        .SingleOrDefault();

    /// <summary>
    /// What a rotation starts from, in one round trip inside one read-only snapshot: the secret, its target, the
    /// current and pending versions (decrypted now, so a damaged one is reported before anything connects) and the
    /// highest version number used so far.
    /// </summary>
    public Task<RotationState> LoadRotationStateAsync(string secret, CancellationToken cancellationToken) => ReadAsync(async db =>
    {
        var transaction = await db.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        await using var closeTransaction = transaction.ConfigureAwait(false);
        var batch = new NpgsqlBatch(db, transaction)
        {
            BatchCommands =
            {
                BatchCommand($"SELECT {SecretColumns} FROM {_tables.Secrets} WHERE name = $1", secret),
                BatchCommand($"SELECT {TargetColumns} FROM {_tables.Targets} WHERE name = (SELECT target FROM {_tables.Secrets} WHERE name = $1)", secret),
                BatchCommand($"SELECT {VersionColumns} FROM {_tables.Versions} WHERE owner = 'secret' AND secret = $1 AND stage IN ('current', 'pending')", secret),
                BatchCommand($"SELECT coalesce(max(version), 0) FROM {_tables.Versions} WHERE owner = 'secret' AND secret = $1", secret),
            },
        };
        await using var closeBatch = batch.ConfigureAwait(false);
        IReadOnlyList<Secret> secrets;
        IReadOnlyList<Targets.Target> targets;
        IReadOnlyList<SecretVersion> live;
        int highest;
        var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            secrets = await ReadSecretsAsync(reader, cancellationToken).ConfigureAwait(false);
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            targets = await ReadTargetsAsync(reader, cancellationToken).ConfigureAwait(false);
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            live = await ReadVersionsAsync(reader, VersionOwner.Secret, cancellationToken).ConfigureAwait(false);
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            highest = reader.GetInt32(0);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        var found = secrets.SingleOrDefault() ?? throw SecretNotFound(secret);
        var target = targets.SingleOrDefault() ?? throw TargetNotFound(found.Target);
        foreach (var version in live)
        {
            // Decrypted now, before the rotation connects anywhere: this also authenticates each version's login name.
            _ = version.Password.Length;
        }

        return new RotationState(found, target, live.SingleOrDefault(v => v.Stage == Stage.Current), live.SingleOrDefault(v => v.Stage == Stage.Pending), highest);
    }, cancellationToken);

    /// <summary>Secrets with a pending version beside a current one: a rotation an interrupted run left unfinished.</summary>
    public Task<IReadOnlySet<string>> ListInterruptedRotationsAsync(CancellationToken cancellationToken) => ReadAsync<IReadOnlySet<string>>(async db =>
    {
        var command = Command(db, null,
            $"SELECT p.secret FROM {_tables.Versions} p WHERE p.owner = 'secret' AND p.stage = 'pending' AND EXISTS (SELECT 1 FROM {_tables.Versions} c WHERE c.owner = 'secret' AND c.secret = p.secret AND c.stage = 'current')");
        await using var closeCommand = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        var names = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }, cancellationToken);

    /// <summary>
    /// Step "create": stores a fresh credential as pending, under the secret's row lock; a secret that already has a
    /// pending version (or this version number) is refused with RotationInProgress.
    /// </summary>
    /// <param name="durable">
    /// False lets the commit return before the server has flushed its WAL (synchronous_commit off for this transaction):
    /// the version survives a crash of this process, not necessarily one of the database server.
    /// </param>
    public Task AddPendingVersionAsync(SecretVersion version, bool durable, CancellationToken cancellationToken) => WriteAsync(async (db, transaction) =>
    {
        if (!durable)
        {
            await ExecuteAsync(db, transaction, "SET LOCAL synchronous_commit = off", cancellationToken).ConfigureAwait(false);
        }

        if (!await LockSecretAsync(db, transaction, version.Secret, cancellationToken).ConfigureAwait(false))
        {
            throw SecretNotFound(version.Secret);
        }

        try
        {
            await InsertVersionAsync(db, transaction, VersionOwner.Secret, version, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new PgRotateException(ErrorCode.RotationInProgress, $"secret {version.Secret} already has a pending version", e);
        }

        await AppendHistoryAsync(db, transaction, version.Secret, version.Number, "pending", $"login {version.Username}", cancellationToken).ConfigureAwait(false);
    }, cancellationToken);

    /// <summary>
    /// Step "finish", in one transaction under the owner's row lock (the secret's, or the target's for an admin
    /// password): the pending version becomes current, the current one previous (with its grace end) or retired, the old
    /// previous retired, history written; for a secret the next rotation is set, for a target the promoted password
    /// becomes the one it connects with. Nothing when the version is no longer pending: another rotator (or an earlier,
    /// interrupted finish) promoted it.
    /// </summary>
    public Task PromoteAsync(Promotion promotion, CancellationToken cancellationToken) => WriteAsync(async (db, transaction) =>
    {
        var (name, owner) = (promotion.Secret, promotion.Owner);
        var locked = owner == VersionOwner.Target
            ? await LockTargetAsync(db, transaction, name, cancellationToken).ConfigureAwait(false)
            : await LockSecretAsync(db, transaction, name, cancellationToken).ConfigureAwait(false);
        if (!locked)
        {
            return;
        }

        // Read after the row lock is granted: READ COMMITTED gives this statement a snapshot that includes whatever the
        // previous holder of the lock committed.
        var pending = (await QueryVersionsAsync(db, transaction, owner, "AND secret = $1 AND version = $2", cancellationToken, name, promotion.PendingVersion).ConfigureAwait(false))
            .SingleOrDefault();
        if (pending?.Stage != Stage.Pending)
        {
            return;
        }

        await ExecuteAsync(db, transaction, $"UPDATE {_tables.Versions} SET stage = 'retired' WHERE owner = $2 AND secret = $1 AND stage = 'previous'", cancellationToken,
            name, owner.WireName()).ConfigureAwait(false);
        await ExecuteAsync(db, transaction, $"UPDATE {_tables.Versions} SET stage = $2, valid_until = $3, grace_applied = $4 WHERE owner = $5 AND secret = $1 AND stage = 'current'", cancellationToken,
            name, promotion.KeepPrevious ? "previous" : "retired", Utc(promotion.PreviousValidUntil),
            !(promotion.KeepPrevious && promotion.PreviousValidUntil is not null), owner.WireName()).ConfigureAwait(false);
        await ExecuteAsync(db, transaction, $"UPDATE {_tables.Versions} SET stage = 'current', activated_at = $3 WHERE owner = $4 AND secret = $1 AND version = $2", cancellationToken,
            name, promotion.PendingVersion, Now(), owner.WireName()).ConfigureAwait(false);
        if (owner == VersionOwner.Target)
        {
            await ExecuteAsync(db, transaction, $"UPDATE {_tables.Targets} SET password = $2, updated_at = $3 WHERE name = $1", cancellationToken,
                name, _values.SealTargetPassword(name, pending.Password), Now()).ConfigureAwait(false);
        }
        else
        {
            await ExecuteAsync(db, transaction, $"UPDATE {_tables.Secrets} SET next_rotation_at = $2 WHERE name = $1", cancellationToken,
                name, Utc(promotion.NextRotationAt)).ConfigureAwait(false);
        }

        await AppendHistoryAsync(db, transaction, owner, name, promotion.PendingVersion, promotion.Event, promotion.Detail, cancellationToken).ConfigureAwait(false);
        if (owner == VersionOwner.Secret)
        {
            await PostgresStoreChanges.NotifyAsync(db, transaction, Connection.Schema, name, cancellationToken).ConfigureAwait(false);
        }
    }, cancellationToken);

    /// <summary>A pending version whose test failed: marked failed, never promoted; a scheduled secret is next tried at <paramref name="retryAt"/>.</summary>
    public Task MarkFailedAsync(string secret, int version, string reason, DateTimeOffset? retryAt, CancellationToken cancellationToken) => WriteAsync(async (db, transaction) =>
    {
        await LockSecretAsync(db, transaction, secret, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(db, transaction, $"UPDATE {_tables.Versions} SET stage = 'failed' WHERE owner = 'secret' AND secret = $1 AND version = $2 AND stage = 'pending'", cancellationToken,
            secret, version).ConfigureAwait(false);
        if (retryAt is { } at)
        {
            await ExecuteAsync(db, transaction, $"UPDATE {_tables.Secrets} SET next_rotation_at = $2 WHERE name = $1 AND next_rotation_at IS NOT NULL", cancellationToken,
                secret, Utc(at)).ConfigureAwait(false);
        }

        await AppendHistoryAsync(db, transaction, secret, version, "failed", reason, cancellationToken).ConfigureAwait(false);
    }, cancellationToken);

    /// <summary>Previous versions whose grace end was stored but may not have reached the server (their logins authenticated).</summary>
    public Task<IReadOnlyList<UnappliedGrace>> ListUnappliedGraceAsync(CancellationToken cancellationToken) => ReadAsync<IReadOnlyList<UnappliedGrace>>(async db =>
    {
        var command = Command(db, null,
            $"SELECT secret, version, username, valid_until, password FROM {_tables.Versions} WHERE owner = 'secret' AND stage = 'previous' AND NOT grace_applied AND valid_until IS NOT NULL ORDER BY secret");
        await using var closeCommand = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        var result = new List<UnappliedGrace>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var (secret, number, username) = (reader.GetString(0), reader.GetInt32(1), reader.GetString(2));
            // The login name decides which role gets VALID UNTIL; opening the password authenticates it (it is part of
            // the password's associated data), so an edited name is refused before anything connects.
            _ = _values.OpenVersionPassword(reader.GetFieldValue<byte[]>(4), secret, number, username).Length;
            result.Add(new UnappliedGrace(secret, number, username, reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return result;
    }, cancellationToken);

    /// <summary>
    /// Records that a previous version's VALID UNTIL is on the server; not flushed before returning (losing it only
    /// means the next scheduled run applies the same VALID UNTIL again).
    /// </summary>
    public Task MarkGraceAppliedAsync(string secret, int version, CancellationToken cancellationToken) => WriteAsync(async (db, transaction) =>
    {
        await ExecuteAsync(db, transaction, "SET LOCAL synchronous_commit = off", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(db, transaction, $"UPDATE {_tables.Versions} SET grace_applied = true WHERE owner = 'secret' AND secret = $1 AND version = $2", cancellationToken, secret, version).ConfigureAwait(false);
    }, cancellationToken);

    public Task AppendHistoryAsync(string secret, int? version, string @event, string? detail, CancellationToken cancellationToken) =>
        WriteAsync((db, transaction) => AppendHistoryAsync(db, transaction, secret, version, @event, detail, cancellationToken), cancellationToken);

    /// <summary>A secret's history, oldest first: only entries at or after <paramref name="since"/>, only the last <paramref name="limit"/>.</summary>
    public Task<IReadOnlyList<HistoryEntry>> ListHistoryAsync(string secret, DateTimeOffset? since, int? limit, CancellationToken cancellationToken) =>
        ListHistoryAsync(VersionOwner.Secret, secret, since, limit, cancellationToken);

    private Task<IReadOnlyList<HistoryEntry>> ListHistoryAsync(VersionOwner owner, string name, DateTimeOffset? since, int? limit, CancellationToken cancellationToken) => ReadAsync<IReadOnlyList<HistoryEntry>>(async db =>
    {
        // LIMIT NULL is no limit.
        var command = Command(db, null,
            $"SELECT id, secret, version, event, detail, at, actor FROM (SELECT * FROM {_tables.History} WHERE owner = $4 AND secret = $1 AND ($2::timestamptz IS NULL OR at >= $2::timestamptz) ORDER BY id DESC LIMIT $3::integer) h ORDER BY id",
            name, Utc(since), limit, owner.WireName());
        await using var closeCommand = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        var entries = new List<HistoryEntry>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(new HistoryEntry(reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetInt32(2),
                reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5))
            {
                Actor = reader.IsDBNull(6) ? null : reader.GetString(6),
            });
        }

        return entries;
    }, cancellationToken);

    private Task<int> AppendHistoryAsync(NpgsqlConnection db, NpgsqlTransaction transaction, string secret, int? version, string @event, string? detail, CancellationToken cancellationToken) =>
        AppendHistoryAsync(db, transaction, VersionOwner.Secret, secret, version, @event, detail, cancellationToken);

    private Task<int> AppendHistoryAsync(NpgsqlConnection db, NpgsqlTransaction transaction, VersionOwner owner, string name, int? version, string @event, string? detail, CancellationToken cancellationToken) =>
        ExecuteAsync(db, transaction, $"INSERT INTO {_tables.History}(owner, secret, version, event, detail, at, actor) VALUES ($7, $1, $2::integer, $3, $4, $5, $6)", cancellationToken,
            name, version, @event, detail, Now(), Actor, owner.WireName());

    private Task<int> InsertVersionAsync(NpgsqlConnection db, NpgsqlTransaction transaction, SecretVersion version, CancellationToken cancellationToken) =>
        InsertVersionAsync(db, transaction, VersionOwner.Secret, version, cancellationToken);

    private Task<int> InsertVersionAsync(NpgsqlConnection db, NpgsqlTransaction transaction, VersionOwner owner, SecretVersion version, CancellationToken cancellationToken) =>
        ExecuteAsync(db, transaction,
            $"INSERT INTO {_tables.Versions}(owner, {VersionColumns}) VALUES ($9, $1, $2, $3, $4, $5, $6, $7::timestamptz, $8::timestamptz)", cancellationToken,
            version.Secret, version.Number, version.Username,
            _values.SealVersionPassword(owner, version.Secret, version.Number, version.Username, version.Password),
            version.Stage.WireName(), Utc(version.CreatedAt), Utc(version.ActivatedAt), Utc(version.ValidUntil), owner.WireName());

    /// <summary>
    /// The versions of one owner kind; <paramref name="condition"/> continues the WHERE clause ("AND …" over
    /// <paramref name="values"/> as $1, $2, …, then any ORDER BY). The owner is the parameter after them.
    /// </summary>
    private async Task<IReadOnlyList<SecretVersion>> QueryVersionsAsync(NpgsqlConnection db, NpgsqlTransaction? transaction, VersionOwner owner, string condition, CancellationToken cancellationToken, params object?[] values)
    {
        var command = Command(db, transaction, $"SELECT {VersionColumns} FROM {_tables.Versions} WHERE owner = ${values.Length + 1} {condition}", [.. values, owner.WireName()]);
        await using var closeCommand = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        return await ReadVersionsAsync(reader, owner, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads rows of <see cref="VersionColumns"/>; each password is decrypted when first revealed.</summary>
    private async Task<IReadOnlyList<SecretVersion>> ReadVersionsAsync(NpgsqlDataReader reader, VersionOwner owner, CancellationToken cancellationToken)
    {
        var versions = new List<SecretVersion>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var secret = reader.GetString(0);
            var number = reader.GetInt32(1);
            var username = reader.GetString(2);
            var sealedPassword = reader.GetFieldValue<byte[]>(3);
            // Listing versions (secret show, a rerun of secret add) must work even when an old, retired version is
            // damaged; a damaged value is reported when something actually needs it.
            versions.Add(new SecretVersion(secret, number, username,
                SecretText.Deferred(() => _values.OpenVersionPassword(owner, sealedPassword, secret, number, username).Reveal()),
                StageNames.Parse(reader.GetString(4)), reader.GetFieldValue<DateTimeOffset>(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7)));
        }

        return versions;
    }

    private static NpgsqlBatchCommand BatchCommand(string sql, params object?[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        return command;
    }
}

using Microsoft.Data.Sqlite;
using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Secrets;
using PgRotate.Store;

namespace PgRotate.Store.Sqlite;

public sealed partial class SqliteSecretStore
{
    public async Task<IReadOnlyList<SecretVersion>> ListVersionsAsync(string secret, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        return await QueryVersionsAsync(connection, null, VersionOwner.Secret, "AND secret = $s ORDER BY version", cancellationToken, ("$s", secret)).ConfigureAwait(false);
    }

    public async Task<SecretVersion?> FindVersionAsync(string secret, Stage stage, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        return (await QueryVersionsAsync(connection, null, VersionOwner.Secret, "AND secret = $s AND stage = $stage", cancellationToken, ("$s", secret), ("$stage", stage.WireName())).ConfigureAwait(false)).SingleOrDefault();
    }

    /// <summary>
    /// What a rotation starts from, read in one go (one connection, one read transaction, so one snapshot of the file):
    /// the secret, its target, the current and pending versions, and the highest version number used so far (failed
    /// and retired versions are not decrypted).
    /// </summary>
    public async Task<RotationState> LoadRotationStateAsync(string secret, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        // Deferred: a read transaction that takes no write lock, so readers never wait on a rotation that writes.
        var transaction = connection.BeginTransaction(deferred: true);
        await using var closeTransaction = transaction.ConfigureAwait(false);
        var found = (await QuerySecretsAsync(connection, transaction, "WHERE name = $n", cancellationToken, ("$n", secret)).ConfigureAwait(false)).SingleOrDefault()
            ?? throw SecretNotFound(secret);
        var target = (await QueryTargetsAsync(connection, transaction, "WHERE name = $n", cancellationToken, ("$n", found.Target)).ConfigureAwait(false)).SingleOrDefault()
            ?? throw TargetNotFound(found.Target);
        var live = await QueryVersionsAsync(connection, transaction, VersionOwner.Secret, "AND secret = $s AND stage IN ('current', 'pending')", cancellationToken, ("$s", secret)).ConfigureAwait(false);
        foreach (var version in live)
        {
            // Decrypted now, before the rotation connects anywhere: this also authenticates each version's login name.
            _ = version.Password.Length;
        }

        var highest = await ScalarAsync<long>(connection, transaction, "SELECT coalesce(max(version), 0) FROM versions WHERE owner = 'secret' AND secret = $s", cancellationToken, ("$s", secret)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new RotationState(found, target, live.SingleOrDefault(v => v.Stage == Stage.Current), live.SingleOrDefault(v => v.Stage == Stage.Pending), (int)highest);
    }

    /// <summary>
    /// Names of the secrets with a rotation an interrupted run left pending (a pending version beside a current one; a
    /// pending first version without a current one is an unfinished 'secret add', which only that command finishes).
    /// </summary>
    public async Task<IReadOnlySet<string>> ListInterruptedRotationsAsync(CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var command = CreateCommand(connection, null,
            "SELECT p.secret FROM versions p WHERE p.owner = 'secret' AND p.stage = 'pending' AND EXISTS (SELECT 1 FROM versions c WHERE c.owner = 'secret' AND c.secret = p.secret AND c.stage = 'current')", []);
        await using var closeCommand = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        var names = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    /// <summary>Stores a freshly generated credential as <see cref="Stage.Pending"/> (step "create" of a rotation).</summary>
    /// <param name="durable">
    /// False lets the commit skip the fsync (SQLite's synchronous=NORMAL in WAL mode): it still survives a crash of this
    /// process, only not a power loss. For versions whose loss would be harmless.
    /// </param>
    public async Task AddPendingVersionAsync(SecretVersion version, bool durable, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        if (!durable)
        {
            await ExecuteAsync(connection, null, "PRAGMA synchronous = NORMAL", cancellationToken).ConfigureAwait(false);
        }

        var transaction = BeginWriteTransaction(connection);
        await using var closeTransaction = transaction.ConfigureAwait(false);
        try
        {
            await InsertVersionAsync(connection, transaction, VersionOwner.Secret, version, cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw new PgRotateException(ErrorCode.RotationInProgress, $"secret {version.Secret} already has a pending version", e);
        }

        await AppendHistoryAsync(connection, transaction, VersionOwner.Secret, version.Secret, version.Number, "pending", $"login {version.Username}", cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Step "finish", in one transaction: see <see cref="Promotion"/>. For a target's admin password the promoted
    /// version's password also becomes the target's, in the same transaction, so the two never disagree.
    /// </summary>
    public async Task PromoteAsync(Promotion promotion, CancellationToken cancellationToken)
    {
        var (secret, pendingVersion, previousValidUntil, nextRotationAt, detail, keepPrevious, @event) = promotion;
        var owner = promotion.Owner.WireName();
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var transaction = BeginWriteTransaction(connection);
        await using var closeTransaction = transaction.ConfigureAwait(false);
        var now = Now();
        var pending = (await QueryVersionsAsync(connection, transaction, promotion.Owner, "AND secret = $s AND version = $v", cancellationToken,
            ("$s", secret), ("$v", pendingVersion)).ConfigureAwait(false)).SingleOrDefault();
        if (pending?.Stage != Stage.Pending)
        {
            // Already promoted by an earlier, interrupted finish: nothing to do.
            return;
        }

        await ExecuteAsync(connection, transaction, "UPDATE versions SET stage = 'retired' WHERE owner = $o AND secret = $s AND stage = 'previous'", cancellationToken,
            ("$o", owner), ("$s", secret)).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "UPDATE versions SET stage = $stage, valid_until = $u, grace_applied = $applied WHERE owner = $o AND secret = $s AND stage = 'current'", cancellationToken,
            ("$o", owner), ("$s", secret), ("$stage", keepPrevious ? "previous" : "retired"), ("$u", previousValidUntil is { } until ? Format(until) : null),
            ("$applied", keepPrevious && previousValidUntil is not null ? 0 : 1)).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "UPDATE versions SET stage = 'current', activated_at = $now WHERE owner = $o AND secret = $s AND version = $v", cancellationToken,
            ("$o", owner), ("$s", secret), ("$v", pendingVersion), ("$now", now)).ConfigureAwait(false);
        if (promotion.Owner == VersionOwner.Target)
        {
            await ExecuteAsync(connection, transaction, "UPDATE targets SET password = $p, updated_at = $now WHERE name = $s", cancellationToken,
                ("$s", secret), ("$p", _values.SealTargetPassword(secret, pending.Password)), ("$now", now)).ConfigureAwait(false);
        }
        else
        {
            await ExecuteAsync(connection, transaction, "UPDATE secrets SET next_rotation_at = $next WHERE name = $s", cancellationToken,
                ("$s", secret), ("$next", nextRotationAt is { } next ? Format(next) : null)).ConfigureAwait(false);
        }

        await AppendHistoryAsync(connection, transaction, promotion.Owner, secret, pendingVersion, @event, detail, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A pending version whose test failed: marked failed, never promoted. A scheduled secret is tried again at
    /// <paramref name="retryAt"/>, not on every scheduler tick.
    /// </summary>
    public async Task MarkFailedAsync(string secret, int version, string reason, DateTimeOffset? retryAt, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var transaction = BeginWriteTransaction(connection);
        await using var closeTransaction = transaction.ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "UPDATE versions SET stage = 'failed' WHERE owner = 'secret' AND secret = $s AND version = $v AND stage = 'pending'", cancellationToken,
            ("$s", secret), ("$v", version)).ConfigureAwait(false);
        if (retryAt is { } at)
        {
            await ExecuteAsync(connection, transaction, "UPDATE secrets SET next_rotation_at = $at WHERE name = $s AND next_rotation_at IS NOT NULL", cancellationToken,
                ("$s", secret), ("$at", Format(at))).ConfigureAwait(false);
        }

        await AppendHistoryAsync(connection, transaction, VersionOwner.Secret, secret, version, "failed", reason, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Previous versions whose grace end was stored but may not have reached the server.</summary>
    public async Task<IReadOnlyList<UnappliedGrace>> ListUnappliedGraceAsync(CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var command = CreateCommand(connection, null,
            "SELECT secret, version, username, valid_until, password FROM versions WHERE owner = 'secret' AND stage = 'previous' AND grace_applied = 0 AND valid_until IS NOT NULL ORDER BY secret", []);
        await using var closeCommand = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        var result = new List<UnappliedGrace>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var (secret, number, username) = (reader.GetString(0), reader.GetInt32(1), reader.GetString(2));
            // The login name decides which role gets VALID UNTIL; opening the password authenticates it (it is part of
            // the password's associated data), so an edited name is refused before anything connects.
            _ = _values.OpenVersionPassword((byte[])reader.GetValue(4), secret, number, username).Length;
            result.Add(new UnappliedGrace(secret, number, username, ParseTime(reader.GetString(3))));
        }

        return result;
    }

    /// <summary>
    /// Records that a previous version's VALID UNTIL is on the server. Not fsynced: if a power loss took it back, the
    /// next scheduled run would only apply the same VALID UNTIL again.
    /// </summary>
    public async Task MarkGraceAppliedAsync(string secret, int version, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        await ExecuteAsync(connection, null, "PRAGMA synchronous = NORMAL; UPDATE versions SET grace_applied = 1 WHERE owner = 'secret' AND secret = $s AND version = $v", cancellationToken,
            ("$s", secret), ("$v", version)).ConfigureAwait(false);
    }

    public async Task AppendHistoryAsync(string secret, int? version, string @event, string? detail, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        await AppendHistoryAsync(connection, null, VersionOwner.Secret, secret, version, @event, detail, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A secret's history, oldest first: with <paramref name="since"/> only entries at or after it, with
    /// <paramref name="limit"/> only the most recent that many.
    /// </summary>
    public Task<IReadOnlyList<HistoryEntry>> ListHistoryAsync(string secret, DateTimeOffset? since, int? limit, CancellationToken cancellationToken) =>
        ListHistoryAsync(VersionOwner.Secret, secret, since, limit, cancellationToken);

    private async Task<IReadOnlyList<HistoryEntry>> ListHistoryAsync(VersionOwner owner, string name, DateTimeOffset? since, int? limit, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        // Times are stored as fixed-width UTC text ("O" format), so comparing the text compares the times. SQLite's
        // LIMIT -1 means no limit.
        var command = CreateCommand(connection, null,
            "SELECT * FROM (SELECT id, secret, version, event, detail, at, actor FROM history WHERE owner = $o AND secret = $s AND ($since IS NULL OR at >= $since) ORDER BY id DESC LIMIT $limit) ORDER BY id",
            [("$o", owner.WireName()), ("$s", name), ("$since", since is { } from ? Format(from) : null), ("$limit", limit ?? -1)]);
        await using var closeCommand = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        var entries = new List<HistoryEntry>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(new HistoryEntry(reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetInt32(2),
                reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4), ParseTime(reader.GetString(5)))
            {
                Actor = reader.IsDBNull(6) ? null : reader.GetString(6),
            });
        }

        return entries;
    }

    private Task AppendHistoryAsync(SqliteConnection connection, SqliteTransaction? transaction, string secret, int? version, string @event, string? detail, CancellationToken cancellationToken) =>
        AppendHistoryAsync(connection, transaction, VersionOwner.Secret, secret, version, @event, detail, cancellationToken);

    private Task AppendHistoryAsync(SqliteConnection connection, SqliteTransaction? transaction, VersionOwner owner, string name, int? version, string @event, string? detail, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, transaction, "INSERT INTO history(owner, secret, version, event, detail, at, actor) VALUES ($o, $s, $v, $e, $d, $t, $a)", cancellationToken,
            ("$o", owner.WireName()), ("$s", name), ("$v", version), ("$e", @event), ("$d", detail), ("$t", Now()), ("$a", Actor));

    private Task InsertVersionAsync(SqliteConnection connection, SqliteTransaction transaction, SecretVersion version, CancellationToken cancellationToken) =>
        InsertVersionAsync(connection, transaction, VersionOwner.Secret, version, cancellationToken);

    private Task InsertVersionAsync(SqliteConnection connection, SqliteTransaction transaction, VersionOwner owner, SecretVersion version, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, transaction,
            "INSERT INTO versions(owner, secret, version, username, password, stage, created_at, activated_at, valid_until) VALUES ($o, $s, $v, $u, $p, $stage, $c, $a, $until)",
            cancellationToken,
            ("$o", owner.WireName()), ("$s", version.Secret), ("$v", version.Number), ("$u", version.Username),
            ("$p", _values.SealVersionPassword(owner, version.Secret, version.Number, version.Username, version.Password)),
            ("$stage", version.Stage.WireName()), ("$c", Format(version.CreatedAt)),
            ("$a", version.ActivatedAt is { } a ? Format(a) : null), ("$until", version.ValidUntil is { } u ? Format(u) : null));

    /// <summary>The versions of one owner kind; <paramref name="condition"/> continues the WHERE clause ("AND …", then any ORDER BY).</summary>
    private async Task<IReadOnlyList<SecretVersion>> QueryVersionsAsync(SqliteConnection connection, SqliteTransaction? transaction, VersionOwner owner, string condition, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        var command = CreateCommand(connection, transaction,
            $"SELECT secret, version, username, password, stage, created_at, activated_at, valid_until FROM versions WHERE owner = $owner {condition}", [.. parameters, ("$owner", owner.WireName())]);
        await using var closeCommand = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        var versions = new List<SecretVersion>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var secret = reader.GetString(0);
            var number = reader.GetInt32(1);
            var username = reader.GetString(2);
            var sealedPassword = (byte[])reader.GetValue(3);
            // Decrypted when first revealed: listing versions (secret show, a rerun of secret add) must work even when
            // an old, retired version is damaged; a damaged value is reported when something actually needs it.
            versions.Add(new SecretVersion(secret, number, username,
                SecretText.Deferred(() => _values.OpenVersionPassword(owner, sealedPassword, secret, number, username).Reveal()),
                StageNames.Parse(reader.GetString(4)), ParseTime(reader.GetString(5)),
                reader.IsDBNull(6) ? null : ParseTime(reader.GetString(6)),
                reader.IsDBNull(7) ? null : ParseTime(reader.GetString(7))));
        }

        return versions;
    }
}

using PgRotate.Crypto;
using PgRotate.Rotation;
using PgRotate.Scheduling;
using PgRotate.Secrets;
using PgRotate.Targets;

namespace PgRotate.Store;

/// <summary>
/// Where pgrotate keeps its targets, secrets, their versions (passwords, sealed under the master key) and history.
/// Every implementation authenticates the rows that decide where a password is sent (<see cref="StoredValues"/>) and
/// reports a missing row as <c>NotFound</c>, a duplicate as <c>AlreadyExists</c>, and a row edited or damaged
/// outside pgrotate as <c>StoreCorrupt</c>, before anything connects to a target.
/// </summary>
public interface ISecretStore : IAsyncDisposable
{
    /// <summary>Where the store is, for messages (a file path, or a PostgreSQL address without its password).</summary>
    string Location { get; }

    /// <summary>The id of the master key the store was created with.</summary>
    string KeyId { get; }

    /// <summary>The lock that keeps two rotators of one secret (or one target's admin password) apart, for everyone sharing this store.</summary>
    IRotationLock Locks { get; }

    /// <summary>
    /// Who acts through this store (e.g. <c>cli:alice</c>), recorded with each history entry; null when unknown. Given
    /// when the store is opened (<see cref="ISecretStoreProvider"/>) and fixed for its life; <see cref="WithActor"/>
    /// gives a view acting for someone else.
    /// </summary>
    string? Actor { get; }

    /// <summary>
    /// The same store (connections, lock, key) acting for someone else: a server handling requests from several tokens
    /// at once takes one view per request instead of changing <see cref="Actor"/> under the others' feet. Disposing a
    /// view releases nothing shared.
    /// </summary>
    ISecretStore WithActor(string? actor);

    /// <summary>The store's append-only, hash-chained audit log.</summary>
    PgRotate.Audit.IAuditLog Audit { get; }

    /// <summary>Tells watchers that a secret's versions changed, whichever process (or machine) changed them.</summary>
    IStoreChanges Changes { get; }

    /// <summary>The API tokens kept in this store (hashes only).</summary>
    PgRotate.Access.ITokenStore Tokens { get; }

    /// <summary>The leases of dynamic secrets and their settings, kept in this store.</summary>
    PgRotate.Leases.ILeaseStore Leases { get; }

    // Targets.

    Task AddTargetAsync(Target target, CancellationToken cancellationToken);

    /// <summary>
    /// <c>target update</c>: a new connection string, admin user and/or password. A new password also marks failed a
    /// pending admin version left by an interrupted <c>target rotate-admin</c> (and retires the current one: the
    /// operator's password is now in force); without one, the pending version stays.
    /// </summary>
    Task UpdateTargetAsync(Target target, bool newPassword, CancellationToken cancellationToken);

    /// <summary>
    /// Forgets a target (with its admin versions and their history), and with <paramref name="withSecrets"/> its
    /// secrets, in one transaction; without it, a target still in use is refused (<c>IncompatibleState</c>). Returns
    /// the names of the secrets removed.
    /// </summary>
    Task<IReadOnlyList<string>> RemoveTargetAsync(string name, bool withSecrets, CancellationToken cancellationToken);

    Task<Target> GetTargetAsync(string name, CancellationToken cancellationToken);

    Task<IReadOnlyList<Target>> ListTargetsAsync(CancellationToken cancellationToken);

    // Admin passwords: a target's admin password is versioned in the same table as secrets' credentials, under owner
    // VersionOwner.Target, and promoted by PromoteAsync with a Promotion whose Owner is Target.

    /// <summary>What <c>target rotate-admin</c> starts from, in one consistent read (see <see cref="AdminRotationState"/>).</summary>
    Task<AdminRotationState> LoadAdminRotationStateAsync(string target, CancellationToken cancellationToken);

    /// <summary>
    /// Step "create" of <c>target rotate-admin</c>: the new admin password as a pending version of the target
    /// (<see cref="SecretVersion.Secret"/> is the target's name), stored before the server changes. A target that already
    /// has a pending admin version is refused with <c>RotationInProgress</c>; an unknown target with <c>NotFound</c>.
    /// </summary>
    Task AddPendingAdminVersionAsync(SecretVersion version, CancellationToken cancellationToken);

    /// <summary>A pending admin version that will never be promoted: marked failed with <paramref name="reason"/> (nothing when it is no longer pending).</summary>
    Task MarkAdminVersionFailedAsync(string target, int version, string reason, CancellationToken cancellationToken);

    /// <summary>A target's admin versions, oldest first (passwords decrypted when first revealed).</summary>
    Task<IReadOnlyList<SecretVersion>> ListAdminVersionsAsync(string target, CancellationToken cancellationToken);

    /// <summary>A target's admin password history, oldest first (pending, rotated, failed; never a password).</summary>
    Task<IReadOnlyList<HistoryEntry>> ListAdminHistoryAsync(string target, CancellationToken cancellationToken);

    // Secrets.

    /// <summary>Records a new secret with its first credential as pending, before any role is touched.</summary>
    Task AddSecretAsync(Secret secret, SecretVersion first, CancellationToken cancellationToken);

    /// <summary>Removes a secret whose setup failed before any role was changed (nothing when it is not there).</summary>
    Task DeleteSecretAsync(string name, CancellationToken cancellationToken);

    /// <summary><c>secret remove</c>: forgets a secret, its versions and its history; <c>NotFound</c> when unknown.</summary>
    Task RemoveSecretAsync(string name, CancellationToken cancellationToken);

    Task<Secret?> FindSecretAsync(string name, CancellationToken cancellationToken);

    Task<Secret> GetSecretAsync(string name, CancellationToken cancellationToken);

    Task<IReadOnlyList<Secret>> ListSecretsAsync(CancellationToken cancellationToken);

    Task SetAdoptionAsync(string name, Adoption adoption, CancellationToken cancellationToken);

    /// <summary>
    /// <c>secret update</c>: schedule, grace, check query and next rotation time, never which roles or where, with
    /// <paramref name="detail"/> (no secret value) recorded in the history, in one transaction.
    /// </summary>
    Task UpdateSecretSettingsAsync(string name, Schedule? schedule, TimeSpan? grace, string? checkSql, DateTimeOffset? nextRotationAt, string detail, CancellationToken cancellationToken);

    // Versions.

    Task<IReadOnlyList<SecretVersion>> ListVersionsAsync(string secret, CancellationToken cancellationToken);

    Task<SecretVersion?> FindVersionAsync(string secret, Stage stage, CancellationToken cancellationToken);

    /// <summary>
    /// What a rotation starts from, in one consistent read: the secret, its target, the current and pending versions
    /// (decrypted, so a damaged one is reported before anything connects) and the highest version number used so far.
    /// </summary>
    Task<RotationState> LoadRotationStateAsync(string secret, CancellationToken cancellationToken);

    /// <summary>Secrets with a pending version beside a current one: a rotation an interrupted run left unfinished.</summary>
    Task<IReadOnlySet<string>> ListInterruptedRotationsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Step "create": stores a fresh credential as pending. A secret that already has a pending version is refused
    /// with <c>RotationInProgress</c>. With <paramref name="durable"/> false the store may skip flushing to disk: the
    /// version still survives a crash of this process, not necessarily a power loss.
    /// </summary>
    Task AddPendingVersionAsync(SecretVersion version, bool durable, CancellationToken cancellationToken);

    /// <summary>Step "finish": moves the stages in one transaction (see <see cref="Promotion"/>); nothing when the version is no longer pending.</summary>
    Task PromoteAsync(Promotion promotion, CancellationToken cancellationToken);

    /// <summary>A pending version whose test failed: marked failed, never promoted; a scheduled secret is next tried at <paramref name="retryAt"/>.</summary>
    Task MarkFailedAsync(string secret, int version, string reason, DateTimeOffset? retryAt, CancellationToken cancellationToken);

    /// <summary>
    /// The scheduler's backoff after failures: a scheduled secret is next tried at <paramref name="retryAt"/>, so the
    /// time shows in its status (an unscheduled secret keeps no next rotation).
    /// </summary>
    Task PostponeRotationAsync(string secret, DateTimeOffset retryAt, CancellationToken cancellationToken);

    /// <summary>Previous versions whose grace end was stored but may not have reached the server (their logins authenticated).</summary>
    Task<IReadOnlyList<UnappliedGrace>> ListUnappliedGraceAsync(CancellationToken cancellationToken);

    /// <summary>Records that a previous version's VALID UNTIL is on the server.</summary>
    Task MarkGraceAppliedAsync(string secret, int version, CancellationToken cancellationToken);

    // History.

    Task AppendHistoryAsync(string secret, int? version, string @event, string? detail, CancellationToken cancellationToken);

    /// <summary>A secret's history, oldest first: only entries at or after <paramref name="since"/>, only the last <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<HistoryEntry>> ListHistoryAsync(string secret, DateTimeOffset? since, int? limit, CancellationToken cancellationToken);
}

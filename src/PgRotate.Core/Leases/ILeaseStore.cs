using PgRotate.Crypto;
using PgRotate.Secrets;

namespace PgRotate.Leases;

/// <summary>
/// Where leases are kept, in the same store as the secrets: each lease row authenticated (its id, secret, role and
/// issuer decide which role is dropped and whose token ends it), its password sealed under the master key bound to the
/// lease, the lease settings of each dynamic secret authenticated too. Missing rows are <c>NotFound</c>; edited rows
/// <c>StoreCorrupt</c>, before anything connects to a target.
/// </summary>
public interface ILeaseStore
{
    /// <summary>Records a new dynamic secret with its lease settings in one transaction (<c>AlreadyExists</c> when the name is taken).</summary>
    Task AddDynamicSecretAsync(Secret secret, LeaseSettings settings, CancellationToken cancellationToken);

    /// <summary>A dynamic secret's lease settings; <c>NotFound</c> for a secret that has none (not dynamic).</summary>
    Task<LeaseSettings> GetLeaseSettingsAsync(string secret, CancellationToken cancellationToken);

    /// <summary>Records an issued lease, after its role exists on the target; <c>AlreadyExists</c> for a duplicate id or role.</summary>
    Task AddLeaseAsync(Lease lease, SecretText password, CancellationToken cancellationToken);

    /// <summary>One lease, authenticated; <c>NotFound</c> when unknown.</summary>
    Task<Lease> GetLeaseAsync(string id, CancellationToken cancellationToken);

    /// <summary>A lease's password, decrypted only now.</summary>
    Task<SecretText> OpenLeasePasswordAsync(string id, CancellationToken cancellationToken);

    /// <summary>Leases by issue time, oldest first.</summary>
    Task<IReadOnlyList<Lease>> ListLeasesAsync(LeaseFilter filter, CancellationToken cancellationToken);

    /// <summary>
    /// Work for the reaper at <paramref name="now"/>: active leases whose expiry has passed and revocations whose next
    /// attempt is due, earliest first, at most <paramref name="limit"/>.
    /// </summary>
    Task<IReadOnlyList<Lease>> ListDueLeasesAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>When the reaper next has work: the earliest expiry of an active lease or next attempt of a revocation; null when none.</summary>
    Task<DateTimeOffset?> NextLeaseDueAsync(CancellationToken cancellationToken);

    /// <summary>
    /// A renewal: the new expiry of an active lease (<c>IncompatibleState</c> for a lease that ended). Returns the lease
    /// as stored.
    /// </summary>
    Task<Lease> RenewLeaseAsync(string id, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>
    /// Marks a lease ending, before its role is touched, so that a crash leaves a revocation the reaper finishes: an
    /// active lease becomes <see cref="LeaseState.Revoking"/> with <paramref name="reason"/>, due at
    /// <paramref name="nextAttemptAt"/>. A lease already ending or ended is returned unchanged.
    /// </summary>
    Task<Lease> MarkLeaseRevokingAsync(string id, string reason, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken);

    /// <summary>A failed attempt to drop the lease's role: counted, its error kept, tried again at <paramref name="nextAttemptAt"/>.</summary>
    Task<Lease> RecordRevocationFailureAsync(string id, string error, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken);

    /// <summary>The lease's role is gone.</summary>
    Task<Lease> MarkLeaseRevokedAsync(string id, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="MarkLeaseRevokingAsync"/> for many leases in one transaction (the reaper's batch): the active ones among
    /// <paramref name="ids"/> become revoking; returns every one of them that has not ended, as stored. Unknown ids are skipped.
    /// </summary>
    Task<IReadOnlyList<Lease>> MarkLeasesRevokingAsync(IReadOnlyList<string> ids, string reason, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken);

    /// <summary><see cref="MarkLeaseRevokedAsync"/> for many leases in one transaction; those already revoked stay as they are.</summary>
    Task MarkLeasesRevokedAsync(IReadOnlyList<string> ids, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>The roles of a secret's leases that have not ended (active or revoking), for the orphan sweep.</summary>
    Task<IReadOnlySet<string>> ListLeaseRolesAsync(string secret, CancellationToken cancellationToken);
}

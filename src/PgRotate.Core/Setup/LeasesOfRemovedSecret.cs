using PgRotate.Errors;
using PgRotate.Leases;
using PgRotate.Postgres;
using PgRotate.Secrets;
using PgRotate.Store;

namespace PgRotate.Setup;

/// <summary>
/// Before a dynamic secret is forgotten, every lease of it that has not ended is revoked and its role dropped. Once the
/// secret is gone nothing could finish them: dropping a lease role moves what it owns to the secret's group, which
/// only the secret names, so the reaper would retry those leases for ever and their roles would stay. Every lease is
/// attempted (each revocation audited by <see cref="LeaseRevoker"/>); when one is left, the secret stays and one error
/// names the leases left.
/// </summary>
internal sealed class LeasesOfRemovedSecret(ISecretStore store, TargetConnector connector, TimeProvider time)
{
    /// <summary>The leases that have not ended: what <see cref="RevokeAllAsync"/> would revoke.</summary>
    public async Task<IReadOnlyList<Lease>> ListOpenAsync(Secret secret, CancellationToken cancellationToken) =>
        secret.Strategy != Strategy.Dynamic
            ? []
            : [.. (await store.Leases.ListLeasesAsync(new LeaseFilter(Secret: secret.Name), cancellationToken).ConfigureAwait(false)).Where(l => l.State != LeaseState.Revoked)];

    /// <summary>Revokes every open lease of <paramref name="secret"/>; returns them, or throws naming each one whose role is not dropped.</summary>
    public async Task<IReadOnlyList<Lease>> RevokeAllAsync(Secret secret, CancellationToken cancellationToken)
    {
        var revoker = new LeaseRevoker(store, connector, time);
        var revoked = new List<Lease>();
        var left = new List<(Lease Lease, PgRotateException Error)>();
        foreach (var lease in await ListOpenAsync(secret, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                revoked.Add(await revoker.RevokeAsync(lease.Id, LeaseRevocationReasons.SecretRemoved, cancellationToken).ConfigureAwait(false));
            }
            catch (PgRotateException e)
            {
                left.Add((lease, e));
            }
        }

        if (left.Count == 0)
        {
            return revoked;
        }

        var named = new List<string>();
        foreach (var (lease, _) in left)
        {
            // The revoker recorded the failure on the lease; its error there is already scrubbed of anything secret.
            var recorded = await store.Leases.GetLeaseAsync(lease.Id, cancellationToken).ConfigureAwait(false);
            named.Add($"lease {lease.Id} (role {lease.Role}): {recorded.LastError ?? "not dropped"}");
        }

        throw new PgRotateException(left[0].Error.Code,
            $"secret {secret.Name} is not removed: {left.Count} of its leases could not be revoked: {string.Join("; ", named)}. "
            + $"{revoked.Count} other lease(s) were revoked. The reaper keeps retrying them; fix the cause and run 'pgrotate secret remove {secret.Name}' again");
    }
}

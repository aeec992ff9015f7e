using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using PgRotate.Access;
using PgRotate.Leases;
using PgRotate.Postgres;
using PgRotate.Secrets;
using PgRotate.Server.Auditing;
using PgRotate.Server.Auth;

namespace PgRotate.Server.Endpoints;

/// <summary>
/// Lease operations on behalf of the calling token, shared by <c>/v1/leases</c> and the Vault-compatible paths. Each
/// checks the token's <c>lease</c> capability on the secret first: a refusal is audited and answered 403 whether or not
/// the secret exists, as for reads. They act through the token's view of the store, so the core records the lease as
/// issued by <c>token:NAME</c> (revoking that token revokes it) and writes the audit entries under that name. Once
/// started, an issue, renewal or revocation runs to its end even if the caller hangs up (an issue cut short between
/// creating the role and storing the lease would leave a role for the orphan sweep); only the process ending stops it.
/// </summary>
internal sealed class CallerLeases(TargetConnector connector, TimeProvider time, LeaseSignal signal, RotatorFacts facts, AuditBatcher audit, IHostApplicationLifetime lifetime)
{
    private const string What = "lease";

    public async Task<LeaseOutcome<IssuedLease>> IssueAsync(Caller caller, string? secret, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        var name = SecretName.ParseSecret(secret);
        if (!caller.Access.Allows(Capability.Lease, name))
        {
            return new(null, await SecretEndpoints.DeniedAsync(caller, audit, name, What, cancellationToken).ConfigureAwait(false));
        }

        return await new LeaseIssuer(caller.Store, connector, time, signal, facts: facts, appendAudit: audit.AppendAsync).IssueAsync(name, ttl, lifetime.ApplicationStopped).ConfigureAwait(false);
    }

    /// <summary>One lease the token may manage (<c>not_found</c> for an id the store does not know).</summary>
    public async Task<LeaseOutcome<Lease>> FindAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        var lease = await caller.Store.Leases.GetLeaseAsync(LeaseIds.Parse(id), cancellationToken).ConfigureAwait(false);
        return caller.Access.Allows(Capability.Lease, lease.Secret)
            ? lease
            : new LeaseOutcome<Lease>(null, await SecretEndpoints.DeniedAsync(caller, audit, lease.Secret, What, cancellationToken).ConfigureAwait(false));
    }

    public async Task<LeaseOutcome<Lease>> RenewAsync(Caller caller, string id, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        var found = await FindAsync(caller, id, cancellationToken).ConfigureAwait(false);
        return found.Refused
            ? found
            : await new LeaseIssuer(caller.Store, connector, time, signal, facts: facts, appendAudit: audit.AppendAsync).RenewAsync(found.Value.Id, ttl, lifetime.ApplicationStopped).ConfigureAwait(false);
    }

    /// <summary>Ends the lease now; its role is dropped before this returns (a failure is thrown, and retried by the reaper).</summary>
    public async Task<LeaseOutcome<Lease>> RevokeAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        var found = await FindAsync(caller, id, cancellationToken).ConfigureAwait(false);
        return found.Refused
            ? found
            : await new LeaseRevoker(caller.Store, connector, time).RevokeAsync(found.Value.Id, LeaseRevocationReasons.Revoked, lifetime.ApplicationStopped).ConfigureAwait(false);
    }

    /// <summary>The leases the token may manage (every lease for <c>admin:*</c>), of one secret or all, ended ones too when asked.</summary>
    public async Task<IReadOnlyList<Lease>> ListAsync(Caller caller, string? secret, bool includeRevoked, CancellationToken cancellationToken)
    {
        var leases = await caller.Store.Leases.ListLeasesAsync(new LeaseFilter(secret, IncludeRevoked: includeRevoked), cancellationToken).ConfigureAwait(false);
        return [.. leases.Where(l => caller.Access.Allows(Capability.Lease, l.Secret))];
    }

    /// <summary>Whole seconds from now until <paramref name="at"/>, never negative: what Vault calls a lease's duration or a TTL.</summary>
    public long SecondsUntil(DateTimeOffset at) => Math.Max(0, (long)(at - time.GetUtcNow()).TotalSeconds);
}

using PgRotate.Audit;
using PgRotate.Credentials;
using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Scheduling;
using PgRotate.Secrets;
using PgRotate.Store;
using PgRotate.Targets;

namespace PgRotate.Leases;

/// <summary>
/// Issues and renews the leases of dynamic secrets. Issuing creates, in one transaction on the target, a login role
/// named by the secret's template with a fresh password (sent only as a SCRAM verifier) that PostgreSQL refuses after
/// the lease's expiry (VALID UNTIL), member of the group (on 16+ <c>WITH INHERIT FALSE, SET TRUE</c>: it acts as the
/// group only through its role setting), defaulting to the group (<c>SET role</c>) so that what it creates belongs to
/// the group. The lease is stored after its role exists: a crash in between leaves a role no lease names, which the
/// <see cref="OrphanSweep"/> drops. Every issue and renewal is audited under the store's actor.
/// </summary>
public sealed class LeaseIssuer(ISecretStore store, TargetConnector connector, TimeProvider time, LeaseSignal? signal = null, LeaseHooks? hooks = null, RotatorFacts? facts = null,
    Func<AuditRecord, CancellationToken, Task>? appendAudit = null)
{
    /// <summary>Where issues and renewals are audited: the store's log, or the server's group commit of it.</summary>
    private readonly Func<AuditRecord, CancellationToken, Task> _appendAudit = appendAudit ?? store.Audit.AppendAsync;

    private readonly TargetOperations _target = new(connector, time);
    private readonly RotatorFacts _facts = facts ?? new(connector, time);

    public async Task<IssuedLease> IssueAsync(string secretName, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        var (secret, settings) = await DynamicSecretAsync(secretName, cancellationToken).ConfigureAwait(false);
        var lifetime = settings.Lifetime(ttl);
        var target = await store.GetTargetAsync(secret.Target, cancellationToken).ConfigureAwait(false);
        var now = Now();
        var role = LeaseRoleNames.New(settings.NameTemplate, secret.Group);
        var lease = new Lease(LeaseIds.New(), secret.Name, role.Value, now, now + lifetime, now + settings.MaxTtl, store.Actor);
        var password = PasswordGenerator.Generate();
        var facts = await _facts.ReadAsync(target, cancellationToken).ConfigureAwait(false);
        List<RoleStatement> statements =
        [
            RoleSql.CreateLogin(role, ScramVerifier.Create(password, facts.ScramIterations), lease.ExpiresAt),
            LeaseSql.CommentIssued(role, now),
            .. RotatorFacts.SelfGrant(role, facts) is { } self ? [self] : Array.Empty<RoleStatement>(),
            RoleSql.Grant(secret.Group, role, facts.ServerVersionNum, inherit: false, set: true),
            RoleSql.SetDefaultRole(role, secret.Group),
        ];
        await _target.ApplyInOneRoundTripAsync(target, statements, cancellationToken).ConfigureAwait(false);
        if (hooks?.AfterRoleCreated is { } afterRoleCreated)
        {
            await afterRoleCreated(role.Value).ConfigureAwait(false);
        }

        try
        {
            await store.Leases.AddLeaseAsync(lease, password, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The role exists but no lease names it: drop it now rather than leave it to the sweep.
            await new LeaseRevoker(store, connector, time).DropRoleAsync(target, secret.Group, role, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        await _appendAudit(new AuditRecord(LeaseAuditActions.Issued, store.Actor, secret.Name,
            Detail: $"lease {lease.Id}: role {lease.Role}, expires {lease.ExpiresAt:u}, at most {lease.MaxExpiresAt:u}"), cancellationToken).ConfigureAwait(false);
        LeaseMetrics.RecordIssued(secret.Name);
        signal?.Notify();
        var credential = new Credential(secret.Name, lease.Role, password, target.Host, target.Port, target.Database, 0, Stage.Current, lease.IssuedAt, lease.ExpiresAt)
        {
            Tls = TargetTls.ForClients(target),
        };
        return new IssuedLease(lease, credential);
    }

    /// <summary>
    /// Extends an active, unexpired lease to now + <paramref name="ttl"/> (default: the secret's default TTL), never past
    /// its maximum, nor earlier than it already runs; the role's VALID UNTIL moves first, then the store.
    /// </summary>
    public async Task<Lease> RenewAsync(string id, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        var lease = await store.Leases.GetLeaseAsync(LeaseIds.Parse(id), cancellationToken).ConfigureAwait(false);
        var now = Now();
        if (lease.State != LeaseState.Active || lease.IsExpired(now))
        {
            throw new PgRotateException(ErrorCode.IncompatibleState,
                $"lease {lease.Id} {(lease.State == LeaseState.Active ? $"expired at {lease.ExpiresAt:u}" : $"has ended ({lease.RevokeReason})")}; issue a new one with 'pgrotate lease issue {lease.Secret}'");
        }

        var (secret, settings) = await DynamicSecretAsync(lease.Secret, cancellationToken).ConfigureAwait(false);
        var wanted = now + settings.Lifetime(ttl);
        var expiresAt = wanted > lease.MaxExpiresAt ? lease.MaxExpiresAt : wanted < lease.ExpiresAt ? lease.ExpiresAt : wanted;
        var target = await store.GetTargetAsync(secret.Target, cancellationToken).ConfigureAwait(false);
        await _target.ExpireAsync(target, RoleName.Parse(lease.Role), expiresAt, cancellationToken).ConfigureAwait(false);
        var renewed = await store.Leases.RenewLeaseAsync(lease.Id, expiresAt, cancellationToken).ConfigureAwait(false);
        await _appendAudit(new AuditRecord(LeaseAuditActions.Renewed, store.Actor, secret.Name,
            Detail: $"lease {lease.Id}: role {lease.Role}, expires {expiresAt:u}" + (expiresAt == lease.MaxExpiresAt ? " (its maximum)" : "")), cancellationToken).ConfigureAwait(false);
        LeaseMetrics.RecordRenewed(secret.Name);
        signal?.Notify();
        return renewed;
    }

    private async Task<(Secret Secret, LeaseSettings Settings)> DynamicSecretAsync(string name, CancellationToken cancellationToken)
    {
        var secret = await store.GetSecretAsync(SecretName.ParseSecret(name), cancellationToken).ConfigureAwait(false);
        if (secret.Strategy != Strategy.Dynamic)
        {
            throw new PgRotateException(ErrorCode.IncompatibleState,
                $"secret {secret.Name} uses the {secret.Strategy.WireName()} strategy: it has no leases ('pgrotate get {secret.Name}' prints its credential)");
        }

        return (secret, await store.Leases.GetLeaseSettingsAsync(secret.Name, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Lease times are kept to the millisecond, which every store holds exactly.</summary>
    private DateTimeOffset Now() => DateTimeOffset.FromUnixTimeMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds());

    /// <summary><c>--ttl</c>, <c>--default-ttl</c>, <c>--max-ttl</c>: a duration like any other.</summary>
    public static TimeSpan ParseTtl(string text, string option) => Durations.Parse(text, option);
}

using PgRotate.Contracts;
using PgRotate.Secrets;
using PgRotate.Setup;
using PgRotate.Targets;

namespace PgRotate.Wire;

/// <summary>
/// The engine's types as the records that leave the process (<see cref="PgRotate.Contracts"/>): the only place where
/// one is turned into the other, so that every command writes the same shape.
/// </summary>
public static class ContractMapping
{
    public static CredentialStage ToContract(this Stage stage) => stage switch
    {
        Stage.Pending => CredentialStage.Pending,
        Stage.Current => CredentialStage.Current,
        Stage.Previous => CredentialStage.Previous,
        Stage.Retired => CredentialStage.Retired,
        Stage.Failed => CredentialStage.Failed,
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, null),
    };

    public static RotationStrategy ToContract(this Strategy strategy) => strategy switch
    {
        Strategy.Alternating => RotationStrategy.Alternating,
        Strategy.Single => RotationStrategy.Single,
        Strategy.Dynamic => RotationStrategy.Dynamic,
        _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, null),
    };

    public static AdoptionState ToContract(this Adoption adoption) => adoption switch
    {
        Adoption.None => AdoptionState.None,
        Adoption.Adopting => AdoptionState.Adopting,
        Adoption.Adopted => AdoptionState.Adopted,
        _ => throw new ArgumentOutOfRangeException(nameof(adoption), adoption, null),
    };

    public static VersionSummary ToContract(this SecretVersion v) => new(v.Number, v.Username, v.Stage.ToContract(), v.CreatedAt, v.ActivatedAt, v.ValidUntil);

    public static SecretDetail ToDetail(this Secret s, IReadOnlyList<SecretVersion> versions) => new(
        s.Name, s.Target, s.Strategy.ToContract(), s.Group.Value, [.. s.Logins.Select(l => l.Value)], s.Schedule?.Expression,
        s.Grace is { } grace ? Scheduling.Durations.Format(grace) : null, s.CheckSql, s.Adoption.ToContract(), s.CreatedAt, s.NextRotationAt,
        [.. versions.Select(v => v.ToContract())])
    {
        TimeZone = s.Schedule?.TimeZone?.Id,
        Window = s.Schedule?.Window?.ToString(),
        Jitter = s.Schedule?.Jitter is { } jitter ? Scheduling.Durations.Format(jitter) : null,
    };

    public static LeaseSummary ToContract(this Leases.Lease l) => new(
        l.Id, l.Secret, l.Role, l.State switch
        {
            Leases.LeaseState.Active => LeaseStatus.Active,
            Leases.LeaseState.Revoking => LeaseStatus.Revoking,
            _ => LeaseStatus.Revoked,
        },
        l.IssuedAt, l.ExpiresAt, l.MaxExpiresAt, l.IssuedBy, l.RevokeReason, l.RevokeAttempts, l.LastError, l.NextAttemptAt, l.RevokedAt);

    /// <summary>A lease just issued with its password in clear: only for <c>lease issue</c> (and the API's issue).</summary>
    public static LeaseCredential ToContract(this Leases.IssuedLease issued)
    {
        var (l, c) = (issued.Lease, issued.Credential);
        return new LeaseCredential(
            l.Id, l.Secret, c.Username, c.Password.Reveal(), c.Host, c.Port, c.Database, l.IssuedAt, l.ExpiresAt, l.MaxExpiresAt,
            c.Tls.SslMode is { } mode ? TargetTls.LibpqName(mode) : null,
            c.Tls.RootCertificate,
            c.Tls.ChannelBinding is { } binding ? TargetTls.LibpqName(binding) : null);
    }

    public static LeaseReapResult ToContract(this Leases.ReapResult r) => new(r.Revoked, r.Failed, r.Swept);

    public static DriftFinding ToContract(this Roles.Drift d) => new(d.Secret, d.Role, d.Kind, d.Message, d.Fix, d.Command);

    public static TargetSummary ToSummary(this Target t) => new(t.Name, t.Host, t.Port, t.Database, t.Username);

    /// <summary>The credential with its password in clear: only for <c>pgrotate get</c>.</summary>
    public static Contracts.Credential ToContract(this Credentials.Credential c) => new(
        c.Name, c.Username, c.Password.Reveal(), c.Host, c.Port, c.Database, c.Version, c.Stage.ToContract(), c.RotatedAt, c.ValidUntil,
        c.Tls.SslMode is { } mode ? TargetTls.LibpqName(mode) : null,
        c.Tls.RootCertificate,
        c.Tls.ChannelBinding is { } binding ? TargetTls.LibpqName(binding) : null);

    public static Contracts.RotationResult ToContract(this Rotation.RotationResult r) => new(
        r.Secret, r.Version, r.Username, r.PreviousUsername, r.PreviousValidUntil, r.PreviousRevoked, r.SessionsEnded, r.Resumed,
        Math.Round(r.Elapsed.TotalMilliseconds, 1));

    /// <param name="current">The current version, if any.</param>
    /// <param name="interrupted">True when a pending version exists (a rotation was started and not finished).</param>
    /// <param name="now">To tell whether the scheduled rotation time has come.</param>
    public static SecretSummary ToSummary(this Secret s, SecretVersion? current, bool interrupted, DateTimeOffset now) => new(
        s.Name, s.Target, s.Strategy.ToContract(), s.Group.Value, [.. s.Logins.Select(l => l.Value)], current?.Username, current?.Number,
        current?.ActivatedAt, s.Schedule?.Expression, s.NextRotationAt,
        interrupted ? SecretStatus.Interrupted : s.NextRotationAt is { } next && next <= now ? SecretStatus.Due : SecretStatus.Ok)
    {
        TimeZone = s.Schedule?.TimeZone?.Id,
        Window = s.Schedule?.Window?.ToString(),
        Jitter = s.Schedule?.Jitter is { } jitter ? Scheduling.Durations.Format(jitter) : null,
    };

    /// <summary>
    /// A summary with what the scheduler knows of the secret: a secret whose last scheduled rotation failed is
    /// <see cref="SecretStatus.Failing"/> (unless a rotation was left unfinished, which the next one resumes), with its
    /// failures in a row, next attempt and last error. A secret the scheduler has not tried, or last rotated, is unchanged.
    /// </summary>
    public static SecretSummary WithScheduling(this SecretSummary summary, Scheduling.ScheduledSecretStatus? status) =>
        status is not { LastOutcome: Scheduling.SchedulerOutcome.Failed } failed
            ? summary
            : summary with
            {
                Status = summary.Status == SecretStatus.Interrupted ? SecretStatus.Interrupted : SecretStatus.Failing,
                ConsecutiveFailures = failed.ConsecutiveFailures,
                NextAttemptAt = failed.NextAttemptAt,
                LastError = failed.LastError,
            };

    /// <summary>
    /// A stored history entry as a typed event. The store records each kind by its wire name; an entry whose name no
    /// kind has is a damaged store. The login is the one of the entry's version, found in <paramref name="versions"/>.
    /// </summary>
    public static HistoryEvent ToContract(this HistoryEntry e, IReadOnlyList<SecretVersion> versions) => new(
        e.At,
        PgRotateJson.ParseWireName<HistoryEventKind>(e.Event)
            ?? throw new Errors.PgRotateException(Errors.ErrorCode.StoreCorrupt, $"the history of {e.Secret} holds an unknown event {Postgres.Sql.Printable(e.Event)}"),
        e.Version,
        e.Version is { } number ? versions.FirstOrDefault(v => v.Number == number)?.Username : null,
        e.Actor,
        e.Detail);

    /// <summary><c>secret add</c>: changed when a statement ran (or would run) or the store was written.</summary>
    public static SecretAddResult ToContract(this SetupResult r) => new(
        r.Secret.Name, r.Secret.Target, r.Secret.Strategy.ToContract(), r.Secret.Group.Value, [.. r.Secret.Logins.Select(l => l.Value)],
        r.DryRun, r.Statements.Count > 0 || r.Stored, r.CurrentLogin, [.. r.Statements.Select(x => x.Display)],
        [.. (r.Adoptions ?? []).Select(a => new AdoptedRole(a.Role, a.Change))], r.RequiresAdopt);

    public static SecretRemoveResult ToContract(this RemovalResult r) => new(
        r.Secret.Name, r.Secret.Target, r.DryRun, r.DroppedLogins, r.TerminatedSessions, r.Statements);

    /// <param name="privileges">What the admin may do, read on its own login.</param>
    /// <param name="transport">How that login is secured.</param>
    /// <param name="warnings">The warnings the command also wrote to stderr.</param>
    public static TargetCheckReport ToCheckReport(this Target target, Roles.RotatorPrivileges privileges, TransportReport transport, IReadOnlyList<string> warnings) => new(
        target.Name, target.Address, privileges.ServerVersion, privileges.MajorVersion, transport.ToContract(), transport.AuthMethod,
        transport.AcceptsWrongPassword, warnings, privileges.User, privileges.IsSuperuser, privileges.HasCreateRole, privileges.CanReadAllStats,
        privileges.Sufficient, [.. privileges.Roles.Select(r => r.ToContract())], privileges.MissingGrants, privileges.Notes, privileges.Hardening,
        privileges.Recommended);

    /// <summary>The SSL Mode keeps its connection-string spelling (<c>VerifyFull</c>), the one users write in <c>--conn</c>.</summary>
    public static TransportTls ToContract(this TransportReport t) => new(
        t.Tls, t.Protocol, t.Cipher, t.SslMode.ToString(), t.CertificateIssuerVerified, t.CertificateNameVerified);

    public static RoleAccess ToContract(this Roles.ManagedRoleAccess r) => new(r.Name, r.Exists, r.HasAdminOption, r.CanConnect);

    public static AuditVerificationResult ToContract(this Audit.AuditVerification v) => new(v.EntriesChecked, v.FirstBadSequence, v.Problem, v.Intact);

    /// <summary>A token as <c>token list</c> shows it: never the token, nor its hash.</summary>
    public static TokenSummary ToSummary(this Access.StoredToken t, DateTimeOffset now) => new(
        t.Name, [.. t.Policies.Select(p => p.ToString())], t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.CreatedBy,
        t.IsRevoked ? "revoked" : t.IsExpired(now) ? "expired" : "active");

    /// <summary>A token just made, with its text: only for <c>token create</c> and <c>init</c>, the one time it is shown.</summary>
    public static CreatedToken ToCreated(this Access.StoredToken t, string text) =>
        new(t.Name, text, [.. t.Policies.Select(p => p.ToString())], t.ExpiresAt);

    public static AuditEvent ToContract(this Audit.AuditEntry e) =>
        new(e.Sequence, e.At, e.Record.Action, e.Record.Actor, e.Record.Secret, e.Record.Version, e.Record.Address, e.Record.Detail);
}

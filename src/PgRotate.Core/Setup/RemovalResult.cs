using PgRotate.Secrets;

namespace PgRotate.Setup;

/// <summary>
/// What <c>secret remove</c> did (or, in a dry run, would do): the statements run on the target (empty without
/// --drop-roles), the logins dropped and how many of their sessions were ended.
/// </summary>
public sealed record RemovalResult(Secret Secret, bool DropRoles, IReadOnlyList<string> Statements, IReadOnlyList<string> DroppedLogins, int TerminatedSessions, bool DryRun)
{
    /// <summary>A dynamic secret's leases revoked before it was forgotten (in a dry run: the ones that would be).</summary>
    public IReadOnlyList<Leases.Lease> RevokedLeases { get; init; } = [];
}

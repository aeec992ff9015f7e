using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Secrets;
using PgRotate.Targets;

namespace PgRotate.Roles;

/// <summary>
/// Per-instance credentials: a NOLOGIN group role owns the data, and every lease (see <c>Leases/</c>) creates a login
/// role of its own that is a member of the group and defaults to it. Nothing rotates: a lease ends and its role is
/// dropped. The secret's one stored role is its group, so the rotation engine, <c>get</c> and <c>check</c> find no
/// login of its own to rotate, print or examine beyond the group.
/// </summary>
internal sealed class DynamicStrategy : RotationStrategy
{
    internal override Strategy Kind => Strategy.Dynamic;

    public override IReadOnlyList<RoleName> ManagedRoles(Secret secret) => [secret.Group];

    internal override RoleName NextLogin(Secret secret, string currentLogin) => throw NotRotated(secret);

    internal override RoleName ActsAs(Secret secret) => secret.Group;

    internal override bool KeepsPrevious => false;

    internal override bool ReplacesCurrentInPlace => false;

    /// <summary>The only role the secret itself holds is the group: its logins come and go with leases.</summary>
    public override bool GroupIsTheLogin => true;

    internal override (RoleName LoginA, RoleName? LoginB) LoginsFor(RoleName group, string? loginA, string? loginB)
    {
        if (loginA is not null || loginB is not null)
        {
            throw PgRotateException.InvalidInput("--logins is for the alternating strategy; a dynamic secret creates one login per lease");
        }

        return (group, null);
    }

    internal override bool DerivesLoginNames(string? loginA, string? loginB) => false;

    internal override RoleStatement? RecreateGroup(Secret secret) => RoleSql.CreateGroup(secret.Group);

    internal override Task UndoFailedTestAsync(TargetOperations operations, Target target, SecretVersion pending, SecretVersion current, CancellationToken cancellationToken) =>
        throw NotRotated(pending.Secret);

    internal override Adoption AdoptionAfterSetup(Secret secret, IReadOnlyDictionary<string, RoleState> roles) => Adoption.Adopted;

    /// <summary>
    /// Only the group: created when missing. A group that can log in is refused, since lease logins acting as it would
    /// share data with whoever logs in as the group itself.
    /// </summary>
    internal override RolePlan PlanRoles(Secret secret, IReadOnlyDictionary<string, RoleState> roles, LoginPassword? password, bool adopt, bool known)
    {
        var group = roles.GetValueOrDefault(secret.Group.Value);
        if (group is null)
        {
            return new RolePlan([RoleSql.CreateGroup(secret.Group)], []);
        }

        if (group.CanLogin)
        {
            throw new PgRotateException(ErrorCode.IncompatibleState,
                $"role {secret.Group} can log in; a dynamic secret's group must be NOLOGIN. Move its clients to leases, then run ALTER ROLE {secret.Group.Quoted} NOLOGIN, or pick another --group");
        }

        return new RolePlan([], []);
    }

    private static PgRotateException NotRotated(Secret secret) => NotRotated(secret.Name);

    private static PgRotateException NotRotated(string secret) => new(ErrorCode.IncompatibleState,
        $"secret {secret} is dynamic: it is never rotated; each client gets its own login with 'pgrotate lease issue {secret}'");
}

using PgRotate.Postgres;
using PgRotate.Secrets;
using PgRotate.Targets;

namespace PgRotate.Roles;

/// <summary>
/// How one kind of secret rotates, in one place: which roles it manages and how they are set up, which login gets the
/// next version and what that login must act as, whether the previous version lives on for a grace, what a failed test
/// undoes, and how much of the pattern <c>pgrotate check</c> examines. The rotation protocol itself
/// (create, set, test, finish) is the same for every strategy and lives in the rotation engine; a new kind of secret
/// is a new subclass, registered in <see cref="RotationStrategies"/>.
/// </summary>
public abstract class RotationStrategy
{
    /// <summary>The name the store and the command line use for this strategy.</summary>
    internal abstract Strategy Kind { get; }

    /// <summary>The roles the secret manages on its target (none may be the admin role or a powerful role).</summary>
    public abstract IReadOnlyList<RoleName> ManagedRoles(Secret secret);

    /// <summary>The login that gets the next version, given the login of the current one.</summary>
    internal abstract RoleName NextLogin(Secret secret, string currentLogin);

    /// <summary>The role a session of the secret's credential must act as (its <c>current_user</c>).</summary>
    internal abstract RoleName ActsAs(Secret secret);

    /// <summary>
    /// Whether the previous version stays usable for a grace after a rotation (so a new rotation must not cut a login
    /// still inside it).
    /// </summary>
    internal abstract bool KeepsPrevious { get; }

    /// <summary>
    /// Whether setting the new password replaces the credential clients use now. Then the pending version must survive
    /// a power loss, and a rotation stopped after the set step has already changed what clients log in with.
    /// </summary>
    internal abstract bool ReplacesCurrentInPlace { get; }

    /// <summary>Whether the group role is itself the login (nothing beyond it to check, no login of its own to drop).</summary>
    public abstract bool GroupIsTheLogin { get; }

    /// <summary>Login names for a new secret of this strategy from what was asked for (<c>--group</c>, <c>--logins</c>).</summary>
    internal abstract (RoleName LoginA, RoleName? LoginB) LoginsFor(RoleName group, string? loginA, string? loginB);

    /// <summary>Whether login names would be derived from the group name (so it must leave room for a suffix).</summary>
    internal abstract bool DerivesLoginNames(string? loginA, string? loginB);

    /// <summary>The statement that recreates a missing group role, when the group is not the login itself.</summary>
    internal abstract RoleStatement? RecreateGroup(Secret secret);

    /// <summary>
    /// Puts things back after a pending version failed its test, so the failed credential is never usable: the
    /// current version keeps working either way.
    /// </summary>
    internal abstract Task UndoFailedTestAsync(TargetOperations operations, Target target, SecretVersion pending, SecretVersion current, CancellationToken cancellationToken);

    /// <summary>How a new secret adopting existing roles stands once this setup has run (see <see cref="Adoption"/>).</summary>
    internal abstract Adoption AdoptionAfterSetup(Secret secret, IReadOnlyDictionary<string, RoleState> roles);

    /// <summary>The statements that bring the server's roles to this strategy's pattern (see <see cref="RoleSetupPlanner"/>).</summary>
    internal abstract RolePlan PlanRoles(Secret secret, IReadOnlyDictionary<string, RoleState> roles, LoginPassword? password, bool adopt, bool known);
}

using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Secrets;
using PgRotate.Targets;

namespace PgRotate.Roles;

/// <summary>
/// One login role whose password changes in place: the group role is the login. For applications that cannot change
/// the username they connect with. There is no previous version: setting the new password replaces the old one.
/// </summary>
internal sealed class SingleStrategy : RotationStrategy
{
    internal override Strategy Kind => Strategy.Single;

    public override IReadOnlyList<RoleName> ManagedRoles(Secret secret) => [secret.LoginA];

    internal override RoleName NextLogin(Secret secret, string currentLogin) => secret.LoginA;

    internal override RoleName ActsAs(Secret secret) => secret.LoginA;

    internal override bool KeepsPrevious => false;

    internal override bool ReplacesCurrentInPlace => true;

    public override bool GroupIsTheLogin => true;

    internal override (RoleName LoginA, RoleName? LoginB) LoginsFor(RoleName group, string? loginA, string? loginB)
    {
        if (loginA is not null || loginB is not null)
        {
            throw PgRotateException.InvalidInput("--logins is for the alternating strategy; a single secret rotates the --group role itself");
        }

        return (group, null);
    }

    internal override bool DerivesLoginNames(string? loginA, string? loginB) => false;

    internal override RoleStatement? RecreateGroup(Secret secret) => null;

    /// <summary>The same role: it gets its current password back.</summary>
    internal override Task UndoFailedTestAsync(TargetOperations operations, Target target, SecretVersion pending, SecretVersion current, CancellationToken cancellationToken) =>
        operations.SetPasswordAsync(target, RoleName.Parse(pending.Username), current.Password, null, cancellationToken);

    /// <summary>An adopted single role is taken over completely by its setup.</summary>
    internal override Adoption AdoptionAfterSetup(Secret secret, IReadOnlyDictionary<string, RoleState> roles) => Adoption.Adopted;

    internal override RolePlan PlanRoles(Secret secret, IReadOnlyDictionary<string, RoleState> roles, LoginPassword? password, bool adopt, bool known)
    {
        var verifier = password?.Verifier;
        var login = roles.GetValueOrDefault(secret.LoginA.Value);
        var adoptions = login is not null && !known
            ? [new RoleAdoption(secret.LoginA.Value, "gets a new password (the password its clients use now stops working) and LOGIN")]
            : Array.Empty<RoleAdoption>();
        if (verifier is null)
        {
            return new RolePlan([], adoptions);
        }

        return new RolePlan([login is null ? RoleSql.CreateLogin(secret.LoginA, verifier) : RoleSql.SetPassword(secret.LoginA, verifier, null)], adoptions);
    }
}

using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Secrets;
using PgRotate.Targets;

namespace PgRotate.Roles;

/// <summary>
/// The alternating-users pattern: a NOLOGIN group role owns the data; two login roles that are its members and default
/// to it take turns. A rotation gives the inactive login a new password; the previous one keeps working for its grace.
/// </summary>
internal sealed class AlternatingStrategy : RotationStrategy
{
    internal override Strategy Kind => Strategy.Alternating;

    public override IReadOnlyList<RoleName> ManagedRoles(Secret secret) => [secret.Group, .. secret.Logins];

    internal override RoleName NextLogin(Secret secret, string currentLogin) =>
        string.Equals(currentLogin, secret.LoginA.Value, StringComparison.Ordinal) ? secret.LoginB!.Value : secret.LoginA;

    internal override RoleName ActsAs(Secret secret) => secret.Group;

    internal override bool KeepsPrevious => true;

    internal override bool ReplacesCurrentInPlace => false;

    public override bool GroupIsTheLogin => false;

    internal override (RoleName LoginA, RoleName? LoginB) LoginsFor(RoleName group, string? loginA, string? loginB)
    {
        var a = RoleName.Parse(loginA ?? group.Value + "_a", "login role name");
        var b = RoleName.Parse(loginB ?? group.Value + "_b", "login role name");
        if (a == b || a == group || b == group)
        {
            throw PgRotateException.InvalidInput($"the group role and the two login roles must be three different roles (got {group}, {a}, {b})");
        }

        return (a, b);
    }

    internal override bool DerivesLoginNames(string? loginA, string? loginB) => loginA is null || loginB is null;

    internal override RoleStatement? RecreateGroup(Secret secret) => RoleSql.CreateGroup(secret.Group);

    /// <summary>The failed login is expired at once; the current one is another role and keeps working.</summary>
    internal override Task UndoFailedTestAsync(TargetOperations operations, Target target, SecretVersion pending, SecretVersion current, CancellationToken cancellationToken) =>
        operations.ExpireAsync(target, RoleName.Parse(pending.Username), RoleSql.Invalidated, cancellationToken);

    /// <summary>
    /// An adopted LOGIN group keeps logging in for its old clients until adopt-finish; existing logins under a NOLOGIN
    /// group are taken over completely by the setup.
    /// </summary>
    internal override Adoption AdoptionAfterSetup(Secret secret, IReadOnlyDictionary<string, RoleState> roles) =>
        roles.GetValueOrDefault(secret.Group.Value) is { CanLogin: true } ? Adoption.Adopting : Adoption.Adopted;

    internal override RolePlan PlanRoles(Secret secret, IReadOnlyDictionary<string, RoleState> roles, LoginPassword? password, bool adopt, bool known)
    {
        var plan = new List<RoleStatement>();
        var adoptions = new List<RoleAdoption>();
        var group = roles.GetValueOrDefault(secret.Group.Value);
        // The group's own settings (statement_timeout, search_path, …): PostgreSQL applies them only to sessions that
        // log in as the group, so the logins get copies. For an adopted login group they are what its clients had.
        var inherited = group is not null && !known ? group.SettingsBeyondRole : [];
        if (group is null)
        {
            plan.Add(RoleSql.CreateGroup(secret.Group));
        }
        else if (group.CanLogin && !known)
        {
            adoptions.Add(new RoleAdoption(secret.Group.Value,
                $"can log in: its clients keep logging in as it until 'pgrotate secret adopt-finish {secret.Name}'; {secret.LoginA} and {secret.LoginB} act as it" +
                (inherited.Count == 0 ? "" : $" and get copies of its settings ({string.Join(", ", inherited)})")));
        }
        else if (group.CanLogin && !adopt && secret.Adoption == Adoption.None)
        {
            throw new PgRotateException(ErrorCode.IncompatibleState,
                $"role {secret.Group} can log in, so clients may be using it; to take over an existing single-user app run 'pgrotate secret add {secret.Name} --adopt …', then 'pgrotate secret adopt-finish {secret.Name}'");
        }

        foreach (var login in secret.Logins)
        {
            var state = roles.GetValueOrDefault(login.Value);
            if (state is not null && state.DefaultRole is { } other && other != secret.Group.Value)
            {
                throw new PgRotateException(ErrorCode.IncompatibleState,
                    $"role {login} already defaults to role {Sql.Printable(other)}, not {secret.Group}; pgrotate will not change it. Pick other login names with --logins, or fix the role by hand");
            }

            if (state is not null && state.MemberOf.Count > 0 && !state.MemberOf.Contains(secret.Group.Value))
            {
                throw new PgRotateException(ErrorCode.IncompatibleState,
                    $"role {login} exists and belongs to {string.Join(", ", state.MemberOf)} but not to {secret.Group}; pgrotate only adopts login roles that are unused or already members of the group");
            }

            var verifier = password is { } p && p.Login == login ? p.Verifier : null;
            var changes = new List<string>();
            if (state is null)
            {
                plan.Add(verifier is not null ? RoleSql.CreateLogin(login, verifier) : RoleSql.CreateNoLogin(login));
            }
            else if (verifier is not null)
            {
                plan.Add(RoleSql.SetPassword(login, verifier, null));
                changes.Add("gets a new password and LOGIN");
            }
            else
            {
                changes.Add("gets a new password and LOGIN at a rotation");
            }

            if (state is null || !state.MemberOf.Contains(secret.Group.Value))
            {
                plan.Add(RoleSql.Grant(secret.Group, login));
                changes.Add($"becomes a member of {secret.Group}");
            }

            if (state?.DefaultRole is null)
            {
                plan.Add(RoleSql.SetDefaultRole(login, secret.Group));
                changes.Add($"defaults to role {secret.Group}");
            }

            foreach (var setting in inherited.Where(setting => state is null || !state.SettingsBeyondRole.Contains(setting)))
            {
                plan.Add(RoleSql.SetSetting(login, setting));
            }

            if (state is not null && !known)
            {
                adoptions.Add(new RoleAdoption(login.Value, string.Join(", ", changes)));
            }
        }

        return new RolePlan(plan, adoptions);
    }
}

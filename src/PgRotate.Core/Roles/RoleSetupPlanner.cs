using PgRotate.Errors;
using PgRotate.Secrets;

using PgRotate.Postgres;

namespace PgRotate.Roles;

/// <summary>
/// Works out the statements that bring the server's roles to a secret's pattern (group NOLOGIN, logins that are
/// members and default to it), from what already exists. Existing roles in a compatible state can be adopted, and each
/// one is listed as an adoption so that nothing is taken over silently; roles too powerful to hand to an application
/// (the admin role itself, superusers, CREATEROLE, REPLICATION, BYPASSRLS) are refused outright, and anything
/// incompatible is reported, never overwritten.
/// </summary>
public static class RoleSetupPlanner
{
    /// <param name="secret">The secret whose roles to set up.</param>
    /// <param name="roles">The current state of the secret's roles (missing ones absent).</param>
    /// <param name="adminRole">The role pgrotate connects to the target as (its session user).</param>
    /// <param name="password">
    /// The login to give a password, with its verifier: the first login of a new secret, or the current login of a known
    /// one that was dropped and is recreated; null when every password is already set.
    /// </param>
    /// <param name="adopt">The secret is, or is being, adopted: its group may keep LOGIN until adopt-finish.</param>
    /// <param name="known">
    /// The store already has this secret: its roles are pgrotate's own (a rerun), so none of them is an adoption.
    /// </param>
    public static RolePlan Plan(Secret secret, IReadOnlyDictionary<string, RoleState> roles, string adminRole, LoginPassword? password, bool adopt, bool known)
    {
        foreach (var role in secret.Strategy == Strategy.Single ? [secret.LoginA] : (IEnumerable<RoleName>)[secret.Group, .. secret.Logins])
        {
            RefuseUnmanageable(role, roles.GetValueOrDefault(role.Value), adminRole, secret.Target);
        }

        return secret.Strategy == Strategy.Single
            ? PlanSingle(secret, roles, password?.Verifier, known)
            : PlanAlternating(secret, roles, password, adopt, known);
    }

    private static RolePlan PlanSingle(Secret secret, IReadOnlyDictionary<string, RoleState> roles, string? verifier, bool known)
    {
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

    private static RolePlan PlanAlternating(Secret secret, IReadOnlyDictionary<string, RoleState> roles, LoginPassword? password, bool adopt, bool known)
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

    /// <summary>
    /// Roles no secret may manage, adopt or not: pgrotate's own admin role (a rotation would lock pgrotate out of the
    /// target) and roles whose attributes reach beyond one application's data. A login acting as such a group, or a
    /// generated password on such a login, would hand that power to whoever holds the credential.
    /// </summary>
    private static void RefuseUnmanageable(RoleName role, RoleState? state, string adminRole, string target)
    {
        if (role.Value == adminRole)
        {
            throw new PgRotateException(ErrorCode.IncompatibleState,
                $"role {role} is the admin role pgrotate connects to target {target} as; pgrotate never manages its own admin role ('pgrotate target rotate-admin {target}' rotates it)");
        }

        if (state?.PowerfulAttributes is { Count: > 0 } attributes)
        {
            throw new PgRotateException(ErrorCode.IncompatibleState,
                $"role {role} has {string.Join(", ", attributes)}; pgrotate does not manage roles with SUPERUSER, CREATEROLE, REPLICATION or BYPASSRLS, adopt or not");
        }
    }
}

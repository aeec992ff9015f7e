using PgRotate.Errors;
using PgRotate.Secrets;

namespace PgRotate.Postgres;

/// <summary>
/// Works out the statements that bring the server's roles to a secret's pattern (group NOLOGIN, logins that are
/// members and default to it), from what already exists. Existing roles in a compatible state are adopted; anything
/// incompatible is reported, never overwritten. An empty plan means the roles are already right.
/// </summary>
public static class RoleSetupPlanner
{
    /// <param name="secret">The secret whose roles to set up.</param>
    /// <param name="roles">The current state of the secret's roles (missing ones absent).</param>
    /// <param name="firstLoginVerifier">Verifier to give the first login, or null when its password is already set.</param>
    public static IReadOnlyList<RoleStatement> Plan(Secret secret, IReadOnlyDictionary<string, RoleState> roles, string? firstLoginVerifier, bool adopt)
    {
        return secret.Strategy == Strategy.Single
            ? PlanSingle(secret, roles, firstLoginVerifier)
            : PlanAlternating(secret, roles, firstLoginVerifier, adopt);
    }

    private static List<RoleStatement> PlanSingle(Secret secret, IReadOnlyDictionary<string, RoleState> roles, string? verifier)
    {
        var plan = new List<RoleStatement>();
        roles.TryGetValue(secret.LoginA.Value, out var login);
        RefuseSuperuser(login);
        if (verifier is null)
        {
            return plan;
        }

        plan.Add(login is null ? RoleSql.CreateLogin(secret.LoginA, verifier) : RoleSql.SetPassword(secret.LoginA, verifier, null));
        return plan;
    }

    private static List<RoleStatement> PlanAlternating(Secret secret, IReadOnlyDictionary<string, RoleState> roles, string? verifier, bool adopt)
    {
        var plan = new List<RoleStatement>();
        roles.TryGetValue(secret.Group.Value, out var group);
        RefuseSuperuser(group);
        if (group is null)
        {
            if (adopt)
            {
                throw new PgRotateException(ErrorCode.IncompatibleState,
                    $"--adopt takes over an existing role, but role {secret.Group} does not exist on target {secret.Target}; drop --adopt to create it");
            }

            plan.Add(RoleSql.CreateGroup(secret.Group));
        }
        else if (group.CanLogin && !adopt && secret.Adoption == Adoption.None)
        {
            throw new PgRotateException(ErrorCode.IncompatibleState,
                $"role {secret.Group} can log in, so clients may be using it; to take over an existing single-user app run 'pgrotate secret add {secret.Name} --adopt …', then 'pgrotate secret adopt-finish {secret.Name}'");
        }

        foreach (var login in secret.Logins)
        {
            roles.TryGetValue(login.Value, out var state);
            RefuseSuperuser(state);
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

            var isFirst = login == secret.LoginA;
            if (state is null)
            {
                plan.Add(isFirst && verifier is not null ? RoleSql.CreateLogin(login, verifier) : RoleSql.CreateNoLogin(login));
            }
            else if (isFirst && verifier is not null)
            {
                plan.Add(RoleSql.SetPassword(login, verifier, null));
            }

            if (state is null || !state.MemberOf.Contains(secret.Group.Value))
            {
                plan.Add(RoleSql.Grant(secret.Group, login));
            }

            if (state?.DefaultRole is null)
            {
                plan.Add(RoleSql.SetDefaultRole(login, secret.Group));
            }
        }

        return plan;
    }

    private static void RefuseSuperuser(RoleState? role)
    {
        if (role is { IsSuperuser: true })
        {
            throw new PgRotateException(ErrorCode.IncompatibleState, $"role {role.Name} is a superuser; pgrotate does not manage superuser roles");
        }
    }
}

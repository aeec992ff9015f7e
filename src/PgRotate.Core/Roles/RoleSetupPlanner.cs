using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Secrets;

namespace PgRotate.Roles;

/// <summary>
/// Works out the statements that bring the server's roles to a secret's pattern (group NOLOGIN, logins that are
/// members and default to it), from what already exists. Existing roles in a compatible state can be adopted, and each
/// one is listed as an adoption so that nothing is taken over silently; roles too powerful to hand to an application
/// (the admin role itself, superusers, CREATEROLE, REPLICATION, BYPASSRLS) are refused outright, and anything
/// incompatible is reported, never overwritten.
/// </summary>
internal static class RoleSetupPlanner
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
        var strategy = RotationStrategies.For(secret);
        foreach (var role in strategy.ManagedRoles(secret))
        {
            RefuseUnmanageable(role, roles.GetValueOrDefault(role.Value), adminRole, secret.Target);
        }

        return strategy.PlanRoles(secret, roles, password, adopt, known);
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

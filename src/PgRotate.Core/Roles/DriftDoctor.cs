using Npgsql;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Secrets;
using PgRotate.Targets;

namespace PgRotate.Roles;

/// <summary>
/// Compares a secret's roles on the server with the pattern: every role present, each login a member of the group and
/// defaulting to it, the same other settings on both logins and on the group, the group unable to log in (once
/// adopted), and no privileges or objects held by a login role directly (they belong to the group; a login's own
/// grants break ownership and block DROP ROLE); then logs in with the credentials clients use. Nothing in PostgreSQL
/// stops a login from undoing its own setup, so this is checked, not assumed. Each drift carries its fix.
/// </summary>
public static class DriftDoctor
{
    public static async Task<IReadOnlyList<Drift>> ExamineAsync(NpgsqlConnection connection, Secret secret, CancellationToken cancellationToken)
    {
        var drifts = new List<Drift>();
        var strategy = RotationStrategies.For(secret);
        var roles = await RoleCatalog.ReadAsync(connection, [secret.Group.Value, .. secret.Logins.Select(l => l.Value)], cancellationToken).ConfigureAwait(false);
        void Add(RoleName role, string kind, string message, RoleStatement? fix) => drifts.Add(new Drift(secret.Name, role.Value, kind, message, fix?.Text));

        if (!roles.TryGetValue(secret.Group.Value, out var group))
        {
            drifts.Add(new Drift(secret.Name, secret.Group.Value, "missing_role", $"role {secret.Group} does not exist; rerun the secret's setup to recreate it",
                strategy.RecreateGroup(secret)?.Text, SecretAddCommandLine.For(secret)));
        }

        // A group that is itself the login has no memberships or role settings to check.
        if (strategy.GroupIsTheLogin)
        {
            return drifts;
        }

        if (group is { CanLogin: true } && secret.Adoption != Adoption.Adopting)
        {
            Add(secret.Group, "group_can_login", $"group role {secret.Group} can log in; only its login roles should", RoleSql.NoLogin(secret.Group));
        }

        foreach (var login in secret.Logins)
        {
            if (!roles.TryGetValue(login.Value, out var state))
            {
                // Rerunning secret add recreates it (with the current password, if it was the current login).
                drifts.Add(new Drift(secret.Name, login.Value, "missing_role",
                    $"login role {login} does not exist; rerun the secret's setup to recreate it", null, SecretAddCommandLine.For(secret)));
                continue;
            }

            if (!state.MemberOf.Contains(secret.Group.Value))
            {
                Add(login, "missing_membership", $"login role {login} is not a member of {secret.Group}: it logs in as itself and owns what it creates", RoleSql.Grant(secret.Group, login));
            }

            if (state.DefaultRole is null)
            {
                Add(login, "missing_role_setting", $"login role {login} has no role setting: its sessions act as {login}, not {secret.Group}", RoleSql.SetDefaultRole(login, secret.Group));
            }
            else if (state.DefaultRole != secret.Group.Value)
            {
                Add(login, "different_role_setting", $"login role {login} defaults to role {Sql.Printable(state.DefaultRole)} instead of {secret.Group}", RoleSql.SetDefaultRole(login, secret.Group));
            }
        }

        if (secret.LoginB is { } b && roles.TryGetValue(secret.LoginA.Value, out var a) && roles.TryGetValue(b.Value, out var bState))
        {
            var onlyA = a.SettingsBeyondRole.Except(bState.SettingsBeyondRole).ToList();
            var onlyB = bState.SettingsBeyondRole.Except(a.SettingsBeyondRole).ToList();
            if (onlyA.Count > 0 || onlyB.Count > 0)
            {
                var differences = onlyA.Select(s => $"{secret.LoginA}: {s}").Concat(onlyB.Select(s => $"{b}: {s}"));
                Add(b, "settings_differ", $"role settings differ between {secret.LoginA} and {b} ({string.Join(", ", differences)}); clients would behave differently after a rotation", null);
            }
            else if (group is not null)
            {
                // Both logins agree; they should also agree with the group, whose settings are what the application
                // is meant to get (an adopted role's, or what a DBA sets on the group by habit) but which PostgreSQL
                // applies only to sessions that log in as the group itself.
                foreach (var login in secret.Logins)
                {
                    AddSettingsFromGroup(login, roles[login.Value]);
                }
            }
        }

        void AddSettingsFromGroup(RoleName login, RoleState state)
        {
            var missing = group!.SettingsBeyondRole.Except(state.SettingsBeyondRole).ToList();
            var extra = state.SettingsBeyondRole.Where(s => !group.SettingsBeyondRole.Any(g => g.Database == s.Database && g.Name == s.Name)).ToList();
            if (missing.Count == 0 && extra.Count == 0)
            {
                return;
            }

            var parts = missing.Select(s => $"{secret.Group} has {s}").Concat(extra.Select(s => $"only {login} has {s}"));
            Add(login, "settings_differ_from_group",
                $"login role {login} does not carry the settings of {secret.Group} ({string.Join(", ", parts)}): sessions get the settings of the role they log in as, not of the group",
                FixSettings([.. missing.Select(s => (login, s)), .. extra.Select(s => (secret.Group, s))]));
        }

        foreach (var holding in await DirectHoldingsAsync(connection, secret.Logins.Select(l => l.Value).ToArray(), cancellationToken).ConfigureAwait(false))
        {
            Add(RoleName.Parse(holding.Login), holding.Owns ? "owns_objects" : "direct_privilege",
                $"login role {holding.Login} {holding.Description}; grant privileges to and own objects as {secret.Group} instead",
                holding.Fix(secret.Group));
        }

        return drifts;
    }

    /// <summary>
    /// Statements that copy settings onto roles (the group's to a login that lacks them, a login's own to the group), or
    /// null when one of them cannot be written safely; the message still names it.
    /// </summary>
    private static RoleStatement? FixSettings(IEnumerable<(RoleName Role, RoleSetting Setting)> copies)
    {
        try
        {
            var statements = copies.Select(c => RoleSql.SetSetting(c.Role, c.Setting).Text).ToList();
            return RoleStatement.Plain(string.Join("; ", statements));
        }
        catch (PgRotateException)
        {
            return null;
        }
    }

    /// <summary>
    /// A previous credential whose grace ends within this margin is not tried: it may expire between the decision and
    /// the login, which would report a credential doing just what it should.
    /// </summary>
    private static readonly TimeSpan GraceEndMargin = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Logs in with the credentials clients may be using: the current one, and the previous one while its grace lasts.
    /// The catalog can look right while a credential does not work (its password changed behind pgrotate's back, an
    /// expiry set by hand, a pg_hba.conf rule), and only a login shows that. A login that works but acts as the wrong
    /// role is reported only when the catalog found nothing wrong with that role, so one cause is not reported twice.
    /// </summary>
    public static async Task<IReadOnlyList<Drift>> ExamineLoginsAsync(
        CredentialTester tester, Target target, Secret secret, SecretVersion? current, SecretVersion? previous,
        IReadOnlyCollection<Drift> catalogDrifts, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var drifts = new List<Drift>();
        var inGrace = previous is { ValidUntil: var end } && (end is null || end > now + GraceEndMargin) ? previous : null;
        foreach (var (version, stage) in new[] { (current, "current"), (inGrace, "previous") })
        {
            if (version is null || catalogDrifts.Any(d => d.Role == version.Username && d.Kind == "missing_role"))
            {
                continue;
            }

            try
            {
                await tester.TestAsync(target, secret, version, withCheckSql: false, cancellationToken).ConfigureAwait(false);
            }
            catch (PgRotateException e) when (e.Code == ErrorCode.AuthenticationFailed)
            {
                // A broken current credential is mended by a rotation that also revokes it: nobody can use it anyway,
                // and a revoking rotation goes ahead even while the other login is inside its grace (a plain one is
                // refused then). A broken previous one needs no rotation: its clients move to the current one.
                var fix = version != current ? $"pgrotate get {secret.Name}" : $"pgrotate rotate {secret.Name} --revoke-previous";
                var advice = version != current ? "; clients still on it must move to the current credential" : "; clients using it are refused";
                drifts.Add(new Drift(secret.Name, version.Username, "login_fails",
                    $"the {stage} credential (version {version.Number}, login {version.Username}) does not log in: {e.Message}{advice}",
                    null, fix));
            }
            catch (PgRotateException e) when (e.Code == ErrorCode.RotationFailed)
            {
                if (catalogDrifts.Any(d => d.Role == version.Username))
                {
                    continue;
                }

                drifts.Add(new Drift(secret.Name, version.Username, "login_acts_as_other",
                    $"the {stage} credential (version {version.Number}) logs in, but {e.Message}", null, null));
            }
        }

        return drifts;
    }

    /// <summary>
    /// Privileges granted to, and objects owned by, the login roles in the connected database. An owner's own entries
    /// in an object's ACL are not listed as privileges: owning the object is the drift, and REASSIGN OWNED moves them.
    /// </summary>
    private static async Task<List<DirectHolding>> DirectHoldingsAsync(NpgsqlConnection connection, string[] logins, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(
            """
            WITH logins AS (SELECT oid, rolname FROM pg_roles WHERE rolname = ANY($1))
            SELECT l.rolname::text, false, CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view' ELSE 'table' END, n.nspname::text, c.relname::text,
                   NULL::text, a.privilege_type, a.is_grantable, NULL::text
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a JOIN logins l ON l.oid = a.grantee
             WHERE a.grantee <> c.relowner
            UNION ALL
            SELECT l.rolname, false, 'schema', NULL, n.nspname::text, NULL, a.privilege_type, a.is_grantable, NULL
              FROM pg_namespace n, aclexplode(n.nspacl) a JOIN logins l ON l.oid = a.grantee WHERE a.grantee <> n.nspowner
            UNION ALL
            SELECT l.rolname, false, 'database', NULL, d.datname::text, NULL, a.privilege_type, a.is_grantable, NULL
              FROM pg_database d, aclexplode(d.datacl) a JOIN logins l ON l.oid = a.grantee WHERE d.datname = current_database() AND a.grantee <> d.datdba
            UNION ALL
            SELECT l.rolname, false, 'routine', n.nspname::text, p.proname::text, pg_get_function_identity_arguments(p.oid), a.privilege_type, a.is_grantable, NULL
              FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace, aclexplode(p.proacl) a JOIN logins l ON l.oid = a.grantee WHERE a.grantee <> p.proowner
            UNION ALL
            -- defaclobjtype is "char": cast it to text to compare and return it.
            SELECT l.rolname, false, 'defaults', n.nspname::text, d.defaclobjtype::text, NULL, a.privilege_type, a.is_grantable, o.rolname::text
              FROM pg_default_acl d JOIN pg_roles o ON o.oid = d.defaclrole LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace,
                   aclexplode(d.defaclacl) a JOIN logins l ON l.oid = a.grantee
            UNION ALL
            SELECT l.rolname, true, CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view' ELSE 'table' END, n.nspname::text, c.relname::text,
                   NULL, NULL, false, NULL
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN logins l ON l.oid = c.relowner WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
            UNION ALL
            SELECT l.rolname, true, 'schema', NULL, n.nspname::text, NULL, NULL, false, NULL FROM pg_namespace n JOIN logins l ON l.oid = n.nspowner
            UNION ALL
            SELECT l.rolname, true, 'routine', n.nspname::text, p.proname::text, pg_get_function_identity_arguments(p.oid), NULL, false, NULL
              FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN logins l ON l.oid = p.proowner
            ORDER BY 1, 2, 3, 4, 5, 7
            """, connection);
        await using var closeCommand = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter { Value = logins });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        var result = new List<DirectHolding>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            result.Add(new DirectHolding(reader.GetString(0), reader.GetBoolean(1), reader.GetString(2), Text(3), reader.GetString(4), Text(5), Text(6),
                reader.GetBoolean(7), Text(8)));
        }

        return result;
    }
}

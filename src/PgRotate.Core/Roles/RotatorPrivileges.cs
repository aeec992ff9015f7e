using Npgsql;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Secrets;

namespace PgRotate.Roles;

/// <summary>
/// What the admin ("rotator") login of a target may do, what the group roles whose logins must connect may do, and the
/// least-privilege statements a superuser must run when it is not enough. The role rules differ by version: on 15,
/// CREATEROLE alone lets a login change any non-superuser role (and is close to superuser); on 16+, changing another
/// role's password or membership also needs the ADMIN option on that role, which a CREATEROLE login gets automatically
/// only for roles it created itself. On every version a login can only connect to a database where it (through its
/// group) has CONNECT, which PUBLIC holds unless a DBA revoked it.
/// </summary>
public sealed record RotatorPrivileges(
    string ServerVersion,
    int ServerVersionNum,
    string User,
    string Database,
    bool IsSuperuser,
    bool HasCreateRole,
    bool CanReadAllStats,
    IReadOnlyList<ManagedRoleAccess> Roles,
    IReadOnlyList<string> MissingGrants,
    IReadOnlyList<string> Notes,
    IReadOnlyList<string> Hardening,
    IReadOnlyList<string> Recommended)
{
    internal int MajorVersion => ServerVersionNum / 10000;

    public bool Sufficient => MissingGrants.Count == 0;

    /// <param name="managedRoles">Every role pgrotate changes on this target: groups and logins.</param>
    /// <param name="groups">
    /// The roles whose logins must connect to the target's database (groups, and a single-strategy secret's role):
    /// each needs CONNECT, or if it does not exist yet, PUBLIC must hold CONNECT for it to get it.
    /// </param>
    public static async Task<RotatorPrivileges> ReadAsync(NpgsqlConnection connection, IEnumerable<string> managedRoles, IEnumerable<string> groups, CancellationToken cancellationToken)
    {
        string version, user, database;
        int versionNum;
        bool superuser, createRole, readAllStats;
        var command = new NpgsqlCommand(
            """
            SELECT current_setting('server_version'), current_setting('server_version_num')::int, current_user::text, current_database()::text,
                   rolsuper, rolcreaterole, pg_has_role(current_user, 'pg_read_all_stats', 'USAGE')
            FROM pg_roles WHERE rolname = current_user
            """,
            connection);
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var closeReader = reader.ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            (version, versionNum, user, database) = (reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3));
            (superuser, createRole, readAllStats) = (reader.GetBoolean(4), reader.GetBoolean(5), reader.GetBoolean(6));
        }

        var groupNames = groups.ToHashSet(StringComparer.Ordinal);
        var roles = new List<ManagedRoleAccess>();
        command = new NpgsqlCommand(
            """
            SELECT n.name, r.oid IS NOT NULL,
                   coalesce(EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.roleid = r.oid AND m.member = (SELECT oid FROM pg_roles WHERE rolname = current_user) AND m.admin_option), false),
                   CASE WHEN r.oid IS NOT NULL THEN has_database_privilege(r.oid, d.oid, 'CONNECT')
                        ELSE d.datacl IS NULL OR EXISTS (SELECT 1 FROM aclexplode(d.datacl) a WHERE a.grantee = 0 AND a.privilege_type = 'CONNECT') END
            FROM unnest($1::text[]) AS n(name)
                 CROSS JOIN (SELECT oid, datacl FROM pg_database WHERE datname = current_database()) d
                 LEFT JOIN pg_roles r ON r.rolname = n.name
            ORDER BY n.name
            """, connection);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = managedRoles.Concat(groupNames).Distinct().ToArray() });
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var closeReader = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var name = reader.GetString(0);
                roles.Add(new ManagedRoleAccess(name, reader.GetBoolean(1), reader.GetBoolean(2), groupNames.Contains(name) ? reader.GetBoolean(3) : null));
            }
        }

        var missing = new List<string>();
        var notes = new List<string>();
        var quotedUser = Sql.Identifier(user);
        var needAdmin = new List<string>();
        if (superuser)
        {
            notes.Add($"{user} is a superuser: everything works, but a rotator needs far less; a dedicated CREATEROLE login is safer");
        }
        else
        {
            if (!createRole)
            {
                missing.Add($"ALTER ROLE {quotedUser} CREATEROLE;");
            }

            if (versionNum >= 160000)
            {
                needAdmin.AddRange(roles.Where(r => r.Exists && !r.HasAdminOption).Select(r => Sql.Identifier(r.Name)));
                if (roles.Any(r => !r.Exists))
                {
                    notes.Add($"roles that do not exist yet ({string.Join(", ", roles.Where(r => !r.Exists).Select(r => r.Name))}) will be created by {user}, which then holds the ADMIN option on them");
                }
            }
            else
            {
                notes.Add("PostgreSQL 15 has no per-role ADMIN scoping: CREATEROLE lets a login change any non-superuser role. Prefer 16+, or keep this login's credential rotated");
            }
        }

        // A group without CONNECT: its logins could not log in, and the first test login would fail after the roles were
        // changed. A group that does not exist yet where PUBLIC lost CONNECT cannot be granted it before it exists: a
        // superuser creates it (pgrotate then takes it over as the group) and grants CONNECT.
        var quotedDatabase = Sql.Identifier(database);
        foreach (var group in roles.Where(r => r.CanConnect == false))
        {
            var quotedGroup = Sql.Identifier(group.Name);
            if (!group.Exists)
            {
                missing.Add($"CREATE ROLE {quotedGroup} NOLOGIN;");
                if (!superuser && versionNum >= 160000)
                {
                    needAdmin.Add(quotedGroup);
                }
            }

            missing.Add($"GRANT CONNECT ON DATABASE {quotedDatabase} TO {quotedGroup};");
        }

        if (needAdmin.Count > 0)
        {
            missing.Add($"GRANT {string.Join(", ", needAdmin)} TO {quotedUser} WITH ADMIN TRUE, INHERIT FALSE, SET FALSE;");
        }

        var recommended = readAllStats ? new List<string>() : [$"GRANT pg_read_all_stats TO {quotedUser};"];
        return new RotatorPrivileges(version, versionNum, user, database, superuser, createRole, readAllStats, roles, missing, notes,
            await HardeningAsync(connection, quotedUser, cancellationToken).ConfigureAwait(false), recommended);
    }

    /// <summary>
    /// Refuses, before anything is changed, to set up <paramref name="secret"/> with an admin login that lacks a privilege
    /// the setup or its first login needs; the message holds the exact statements to run.
    /// </summary>
    internal static async Task EnsureSufficientAsync(NpgsqlConnection connection, Secret secret, string targetName, CancellationToken cancellationToken)
    {
        var privileges = await ReadAsync(connection, [secret.Group.Value, .. secret.Logins.Select(l => l.Value)], [secret.Group.Value], cancellationToken)
            .ConfigureAwait(false);
        if (!privileges.Sufficient)
        {
            throw new PgRotateException(ErrorCode.PermissionDenied,
                $"{privileges.User} lacks privileges to set up {secret.Name} on target {targetName}, so nothing was changed; run as a superuser: {string.Join(" ", privileges.MissingGrants)}");
        }
    }

    /// <summary>
    /// Optional settings that keep even SCRAM verifiers (never passwords: pgrotate sends none) out of the server log and
    /// pg_stat_statements for the rotator's sessions. They are superuser-only, so pgrotate can only recommend them; a
    /// verifier allows offline guessing and, with a captured exchange, impersonation.
    /// </summary>
    private static async Task<IReadOnlyList<string>> HardeningAsync(NpgsqlConnection connection, string quotedUser, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(
            "SELECT current_setting('log_statement'), current_setting('log_min_error_statement'), current_setting('pg_stat_statements.track_utility', true)",
            connection);
        await using var closeCommand = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var hardening = new List<string>();
        if (reader.GetString(0) is "ddl" or "all")
        {
            hardening.Add($"ALTER ROLE {quotedUser} SET log_statement = 'none';");
        }

        if (reader.GetString(1) is not ("log" or "fatal" or "panic"))
        {
            hardening.Add($"ALTER ROLE {quotedUser} SET log_min_error_statement = 'panic';");
        }

        if (!reader.IsDBNull(2) && reader.GetString(2) == "on")
        {
            hardening.Add($"ALTER ROLE {quotedUser} SET pg_stat_statements.track_utility = off;");
        }

        return hardening;
    }
}

using Npgsql;

namespace PgRotate.Postgres;

/// <summary>
/// What the admin ("rotator") login of a target may do, and the least-privilege statements a superuser must run when
/// it is not enough. The rules differ by version (pgfacts §2): on 15, CREATEROLE alone lets it change any non-superuser
/// role (and is close to superuser); on 16+, changing another role's password or membership also needs the ADMIN
/// option on that role, which a CREATEROLE login gets automatically only for roles it created itself.
/// </summary>
public sealed record RotatorPrivileges(
    string ServerVersion,
    int ServerVersionNum,
    string User,
    bool IsSuperuser,
    bool HasCreateRole,
    IReadOnlyList<ManagedRoleAccess> Roles,
    IReadOnlyList<string> MissingGrants,
    IReadOnlyList<string> Notes,
    IReadOnlyList<string> Hardening)
{
    public int MajorVersion => ServerVersionNum / 10000;

    public bool Sufficient => MissingGrants.Count == 0;

    public static async Task<RotatorPrivileges> ReadAsync(NpgsqlConnection connection, IEnumerable<string> managedRoles, CancellationToken cancellationToken)
    {
        string version, user;
        int versionNum;
        bool superuser, createRole;
        await using (var command = new NpgsqlCommand(
            "SELECT current_setting('server_version'), current_setting('server_version_num')::int, current_user::text, rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user",
            connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            (version, versionNum, user, superuser, createRole) = (reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.GetBoolean(3), reader.GetBoolean(4));
        }

        var roles = new List<ManagedRoleAccess>();
        await using (var command = new NpgsqlCommand(
            """
            SELECT n.name, r.oid IS NOT NULL,
                   coalesce(EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.roleid = r.oid AND m.member = (SELECT oid FROM pg_roles WHERE rolname = current_user) AND m.admin_option), false)
            FROM unnest($1::text[]) AS n(name) LEFT JOIN pg_roles r ON r.rolname = n.name
            ORDER BY n.name
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = managedRoles.Distinct().ToArray() });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                roles.Add(new ManagedRoleAccess(reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2)));
            }
        }

        var missing = new List<string>();
        var notes = new List<string>();
        var quotedUser = Sql.Identifier(user);
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
                var needAdmin = roles.Where(r => r.Exists && !r.HasAdminOption).Select(r => Sql.Identifier(r.Name)).ToList();
                if (needAdmin.Count > 0)
                {
                    missing.Add($"GRANT {string.Join(", ", needAdmin)} TO {quotedUser} WITH ADMIN TRUE, INHERIT FALSE, SET FALSE;");
                }

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

        return new RotatorPrivileges(version, versionNum, user, superuser, createRole, roles, missing, notes,
            await HardeningAsync(connection, quotedUser, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Optional settings that keep even SCRAM verifiers (never passwords: pgrotate sends none) out of the server log and
    /// pg_stat_statements for the rotator's sessions (pgfacts §3). They are superuser-only, so pgrotate can only
    /// recommend them; a verifier allows offline guessing and, with a captured exchange, impersonation.
    /// </summary>
    private static async Task<IReadOnlyList<string>> HardeningAsync(NpgsqlConnection connection, string quotedUser, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT current_setting('log_statement'), current_setting('log_min_error_statement'), current_setting('pg_stat_statements.track_utility', true)",
            connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
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

/// <summary>One role a target's secrets use, whether it exists, and whether the rotator holds the ADMIN option on it.</summary>
public sealed record ManagedRoleAccess(string Name, bool Exists, bool HasAdminOption);

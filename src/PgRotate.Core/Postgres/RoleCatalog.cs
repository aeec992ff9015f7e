using Npgsql;

namespace PgRotate.Postgres;

/// <summary>Reads roles, memberships and role settings from the server's catalogs.</summary>
internal static class RoleCatalog
{
    public static async Task<IReadOnlyDictionary<string, RoleState>> ReadAsync(NpgsqlConnection connection, IEnumerable<string> roles, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(
            """
            SELECT r.rolname, r.rolcanlogin, r.rolsuper, r.rolvaliduntil,
                   r.rolcreaterole, r.rolreplication, r.rolbypassrls,
                   coalesce((SELECT s.setconfig FROM pg_db_role_setting s WHERE s.setrole = r.oid AND s.setdatabase = 0), '{}'::text[]),
                   array(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid),
                   array(SELECT d.datname::text FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) WITH ORDINALITY c(entry, n)
                         WHERE s.setrole = r.oid ORDER BY d.datname, c.n),
                   array(SELECT c.entry FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) WITH ORDINALITY c(entry, n)
                         WHERE s.setrole = r.oid ORDER BY d.datname, c.n)
            FROM pg_roles r
            WHERE r.rolname = ANY($1)
            """, connection);
        await using var closeCommand = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter { Value = roles.Distinct().ToArray() });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        var result = new Dictionary<string, RoleState>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var name = reader.GetString(0);
            result[name] = new RoleState(
                name,
                reader.GetBoolean(1),
                reader.GetBoolean(2),
                reader.IsDBNull(3) ? null : ToValidUntil(reader.GetFieldValue<DateTime>(3)),
                reader.GetFieldValue<string[]>(8),
                reader.GetFieldValue<string[]>(7),
                CanCreateRole: reader.GetBoolean(4),
                Replication: reader.GetBoolean(5),
                BypassRls: reader.GetBoolean(6),
                DatabaseSettings: reader.GetFieldValue<string[]>(9).Zip(reader.GetFieldValue<string[]>(10), RoleSetting.FromCatalog).ToList());
        }

        return result;
    }

    /// <summary>
    /// The role the connection logged in as (<c>session_user</c>, not <c>current_user</c>, which a role setting or
    /// SET ROLE can change): the target's admin role, which pgrotate must never take over.
    /// </summary>
    public static async Task<string> SessionUserAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand("SELECT session_user::text", connection);
        await using var closeCommand = command.ConfigureAwait(false);
        return (string)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>'infinity' reads as DateTime.MaxValue; treat it as no expiry.</summary>
    private static DateTimeOffset? ToValidUntil(DateTime value) =>
        value == DateTime.MaxValue ? null : new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    public static async Task<int> ServerVersionNumAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand("SELECT current_setting('server_version_num')::int", connection);
        await using var closeCommand = command.ConfigureAwait(false);
        return (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }
}

using System.Globalization;

namespace PgRotate.Postgres;

/// <summary>The role statements pgrotate issues, built from quoted identifiers and validated verifiers only.</summary>
internal static class RoleSql
{
    private const string VerifierPlaceholder = "'<SCRAM-SHA-256 verifier>'";

    /// <summary>
    /// A VALID UNTIL safely in the past, for a login that must stop working at once: PostgreSQL refuses a password login
    /// whose VALID UNTIL has passed, and with "now" a server whose clock runs behind ours would still accept it a moment.
    /// </summary>
    public static readonly DateTimeOffset Invalidated = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static RoleStatement CreateGroup(RoleName group) => RoleStatement.Plain($"CREATE ROLE {group.Quoted} NOLOGIN");

    public static RoleStatement CreateNoLogin(RoleName login) => RoleStatement.Plain($"CREATE ROLE {login.Quoted} NOLOGIN");

    public static RoleStatement CreateLogin(RoleName login, string verifier) =>
        WithVerifier($"CREATE ROLE {login.Quoted} LOGIN PASSWORD {{0}} VALID UNTIL 'infinity'", verifier);

    /// <summary>A lease's login: it stops being accepted by PostgreSQL itself at <paramref name="validUntil"/>.</summary>
    public static RoleStatement CreateLogin(RoleName login, string verifier, DateTimeOffset validUntil) =>
        WithVerifier($"CREATE ROLE {login.Quoted} LOGIN PASSWORD {{0}} VALID UNTIL {ValidUntil(validUntil)}", verifier);

    /// <summary>
    /// Membership with the options of 16+ spelled out (<c>WITH INHERIT …, SET …</c>); on 15, which has no per-grant
    /// options, the plain <see cref="Grant"/>.
    /// </summary>
    public static RoleStatement Grant(RoleName group, RoleName member, int serverVersionNum, bool inherit, bool set) =>
        serverVersionNum >= 160000
            ? RoleStatement.Plain($"GRANT {group.Quoted} TO {member.Quoted} WITH INHERIT {(inherit ? "TRUE" : "FALSE")}, SET {(set ? "TRUE" : "FALSE")}")
            : Grant(group, member);

    /// <summary>Membership for the connected role itself (the rotator), with the options of 16+ as in <see cref="Grant(RoleName, RoleName, int, bool, bool)"/>.</summary>
    public static RoleStatement GrantToSelf(RoleName role, int serverVersionNum, bool inherit, bool set) =>
        RoleStatement.Plain($"GRANT {role.Quoted} TO CURRENT_USER" +
            (serverVersionNum >= 160000 ? $" WITH INHERIT {(inherit ? "TRUE" : "FALSE")}, SET {(set ? "TRUE" : "FALSE")}" : ""));

    /// <summary>Removes a role that <c>secret add</c> created moments before, when the new secret's first login failed.</summary>
    public static RoleStatement DropIfExists(RoleName role) => RoleStatement.Plain($"DROP ROLE IF EXISTS {role.Quoted}");

    /// <summary>Password, LOGIN and expiry in one statement: a new password does not reset an old VALID UNTIL.</summary>
    public static RoleStatement SetPassword(RoleName login, string verifier, DateTimeOffset? validUntil) =>
        WithVerifier($"ALTER ROLE {login.Quoted} WITH LOGIN PASSWORD {{0}} VALID UNTIL {ValidUntil(validUntil)}", verifier);

    /// <summary>The connected role's own password: the one change any role may make to itself, without CREATEROLE.</summary>
    public static RoleStatement SetOwnPassword(string verifier) => WithVerifier("ALTER ROLE CURRENT_USER PASSWORD {0}", verifier);

    public static RoleStatement Expire(RoleName login, DateTimeOffset validUntil) =>
        RoleStatement.Plain($"ALTER ROLE {login.Quoted} VALID UNTIL {ValidUntil(validUntil)}");

    public static RoleStatement Grant(RoleName group, RoleName member) => RoleStatement.Plain($"GRANT {group.Quoted} TO {member.Quoted}");

    public static RoleStatement SetDefaultRole(RoleName login, RoleName group) =>
        RoleStatement.Plain($"ALTER ROLE {login.Quoted} SET role = {Sql.Literal(group.Value)}");

    /// <summary><c>ALTER ROLE "x" [IN DATABASE "d"] SET name = value</c>: a setting copied from one role to another.</summary>
    public static RoleStatement SetSetting(RoleName role, RoleSetting setting) =>
        RoleStatement.Plain($"ALTER ROLE {role.Quoted}{(setting.Database is { } database ? $" IN DATABASE {Sql.Identifier(database)}" : "")} SET {setting.SetClause()}");

    public static RoleStatement NoLogin(RoleName role) => RoleStatement.Plain($"ALTER ROLE {role.Quoted} NOLOGIN");

    /// <summary>What the logins own in the connected database goes to the group, so dropping them loses no data.</summary>
    public static RoleStatement ReassignOwned(IEnumerable<RoleName> logins, RoleName group) =>
        RoleStatement.Plain($"REASSIGN OWNED BY {string.Join(", ", logins.Select(l => l.Quoted))} TO {group.Quoted}");

    /// <summary>After <see cref="ReassignOwned"/>: the privileges (and default privileges) still granted to the logins.</summary>
    public static RoleStatement DropOwned(IEnumerable<RoleName> logins) =>
        RoleStatement.Plain($"DROP OWNED BY {string.Join(", ", logins.Select(l => l.Quoted))}");

    public static RoleStatement DropRole(RoleName role) => RoleStatement.Plain($"DROP ROLE {role.Quoted}");

    /// <summary>
    /// Ends every session of the roles in <c>$1</c> (a text array) except this one, waiting up to 5 s for each to exit.
    /// A query with a parameter, not a role statement: the role names are values here.
    /// </summary>
    public const string TerminateSessions =
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity WHERE usename = ANY($1) AND pid <> pg_backend_pid()";

    public static string ValidUntil(DateTimeOffset? time) =>
        time is { } t ? Sql.Literal(t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff'+00'", CultureInfo.InvariantCulture)) : "'infinity'";

    private static RoleStatement WithVerifier(string template, string verifier)
    {
        // A malformed verifier would be hashed by the server as if it were a plaintext password: refuse it here.
        ScramVerifier.EnsureWellFormed(verifier);
        return new RoleStatement(
            string.Format(CultureInfo.InvariantCulture, template, Sql.Literal(verifier)),
            string.Format(CultureInfo.InvariantCulture, template, VerifierPlaceholder));
    }
}

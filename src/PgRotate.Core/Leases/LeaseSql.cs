using System.Globalization;
using PgRotate.Postgres;

namespace PgRotate.Leases;

/// <summary>
/// The statements particular to leases. Each lease role carries a comment with the time it was issued, so the orphan
/// sweep can leave alone a role whose lease is being stored at this very moment (it only drops roles older than its
/// safety margin), and a role someone else made with a similar name (no such comment) is never taken for a lease.
/// </summary>
internal static class LeaseSql
{
    private const string CommentPrefix = "pgrotate lease issued ";

    public static RoleStatement CommentIssued(RoleName role, DateTimeOffset issuedAt) => RoleStatement.Plain(
        $"COMMENT ON ROLE {role.Quoted} IS {Sql.Literal(CommentPrefix + issuedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture))}");

    /// <summary>The issue time in a lease role's comment; null when the comment is not one pgrotate wrote.</summary>
    public static DateTimeOffset? IssuedAt(string? comment) =>
        comment is not null && comment.StartsWith(CommentPrefix, StringComparison.Ordinal) &&
        DateTimeOffset.TryParseExact(comment[CommentPrefix.Length..], "yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : null;

    /// <summary>
    /// The databases where a role owns objects or holds privileges (pg_shdepend, which PostgreSQL keeps for exactly
    /// this), among those that accept connections; a dependency on a shared object (a database or tablespace it owns)
    /// is handled from the target's own database, reported here as null.
    /// </summary>
    public const string DatabasesWithDependencies =
        """
        SELECT DISTINCT d.datname::text
        FROM pg_shdepend s JOIN pg_roles r ON s.refobjid = r.oid AND s.refclassid = 'pg_authid'::regclass
             LEFT JOIN pg_database d ON d.oid = s.dbid
        WHERE r.rolname = $1 AND (s.dbid = 0 OR d.datallowconn)
        """;

    /// <summary>
    /// Which of the roles in <c>$1</c> (a text array) own objects or hold privileges anywhere, in any database (those
    /// need REASSIGN OWNED and DROP OWNED before DROP ROLE; the rest can be dropped at once).
    /// </summary>
    public const string RolesWithDependencies =
        """
        SELECT DISTINCT r.rolname::text
        FROM pg_shdepend s JOIN pg_roles r ON s.refobjid = r.oid AND s.refclassid = 'pg_authid'::regclass
        WHERE r.rolname = ANY($1)
        """;
}

using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary>
/// The catalog rows of the roles whose names start with a prefix (a test's unique group, say), as text to compare before
/// and after: unlike a snapshot of the whole cluster, other tests running at the same time do not change it.
/// </summary>
public static class RoleRows
{
    public static Task<string> SnapshotAsync(PostgresFixture postgres, string prefix) => postgres.ScalarAsync<string>(
        $"""
        SELECT coalesce(string_agg(concat_ws('|', rolname, rolcanlogin, rolvaliduntil, md5(coalesce(rolpassword, ''))), E'\n' ORDER BY rolname), '')
        FROM pg_authid WHERE starts_with(rolname, '{prefix}')
        """);
}

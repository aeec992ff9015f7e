using Microsoft.Extensions.Time.Testing;
using Npgsql;
using PgRotate.Contracts;
using PgRotate.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Leases;

/// <summary>
/// The reaper revokes the due leases of a secret together (one admin connection, the roles without dependencies dropped
/// in one statement); a mix of hard cases in one batch all end, except the one whose role cannot be dropped, which is
/// recorded for retry without holding back the others.
/// </summary>
public sealed class LeaseBatchRevocationTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_batch_with_objects_grants_in_a_second_database_sessions_a_vanished_role_and_an_undroppable_one_ends_all_but_that_one()
    {
        // From the real now: the leases log in before the clock is moved past their expiry.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var other = await postgres.CreateDatabaseAsync();
        using var sandbox = await LeaseSandbox.CreateAsync(postgres, time);
        var schema = Unique.Name("s");
        foreach (var database in new[] { "postgres", other })
        {
            await postgres.ExecuteAsync($"CREATE SCHEMA {Sql.Identifier(schema)} AUTHORIZATION {Sql.Identifier(sandbox.Group)}", database);
        }

        var plain = new List<LeaseCredential>();
        for (var i = 0; i < 6; i++)
        {
            plain.Add(await sandbox.IssueAsync("--ttl", "1h"));
        }

        var (withObjects, withGrants, withSession, vanished, undroppable) =
            (await sandbox.IssueAsync("--ttl", "1h"), await sandbox.IssueAsync("--ttl", "1h"), await sandbox.IssueAsync("--ttl", "1h"),
                await sandbox.IssueAsync("--ttl", "1h"), await sandbox.IssueAsync("--ttl", "1h"));

        // Objects: one made through the group (the lease's default role), one owned by the lease's own role.
        var (viaGroup, ownedByLease) = (Table(schema, "g"), Table(schema, "o"));
        await using (var session = await sandbox.LoginAsync(withObjects))
        {
            await session.ExecuteAsync(
                $"CREATE TABLE {viaGroup} (i int); GRANT USAGE, CREATE ON SCHEMA {Sql.Identifier(schema)} TO {Sql.Identifier(withObjects.Username)}; SET ROLE NONE; CREATE TABLE {ownedByLease} (i int)");
        }

        // Privileges granted directly to the lease's role in another database (by the application, acting as the group).
        var granted = Table(schema, "t");
        await using (var session = await sandbox.LoginAsync(withGrants, other))
        {
            await session.ExecuteAsync($"CREATE TABLE {granted} (i int); GRANT SELECT, INSERT ON {granted} TO {Sql.Identifier(withGrants.Username)}");
        }

        await using var open = await sandbox.LoginAsync(withSession);
        await postgres.ExecuteAsync($"DROP ROLE {Sql.Identifier(vanished.Username)}");
        // A privilege granted by the superuser, which the least-privilege rotator cannot revoke: DROP ROLE is refused.
        var blocker = Unique.Name("blocker");
        await postgres.ExecuteAsync($"CREATE TABLE {Sql.Identifier(blocker)} (i int); GRANT SELECT ON {Sql.Identifier(blocker)} TO {Sql.Identifier(undroppable.Username)}");
        time.Advance(TimeSpan.FromHours(2));

        var result = PgRotateJson.Deserialize<LeaseReapResult>((await sandbox.Cli.RunAsync("lease", "reap", "--json")).Ok())!;

        Assert.Equal((10, 1), (result.Revoked, result.Failed));
        Assert.Equal([undroppable.Username], await sandbox.LeaseRolesAsync());
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => open.ScalarAsync<int>("SELECT 1"));
        Assert.Equal(sandbox.Group, await OwnerAsync(viaGroup, "postgres"));
        Assert.Equal(sandbox.Group, await OwnerAsync(ownedByLease, "postgres"));
        Assert.Equal(sandbox.Group, await OwnerAsync(granted, other));
        var leases = (await sandbox.ListAsync("--all")).ToDictionary(l => l.Id);
        Assert.All(leases.Values.Where(l => l.Id != undroppable.LeaseId), l => Assert.Equal((LeaseStatus.Revoked, "expired"), (l.Status, l.RevokeReason)));
        var failed = leases[undroppable.LeaseId];
        Assert.Equal((LeaseStatus.Revoking, 1), (failed.Status, failed.RevokeAttempts));
        Assert.Contains("2BP01", failed.LastError);
        var audit = (await sandbox.Cli.RunAsync("audit", "tail", "-n", "50")).Ok();
        Assert.All(leases.Values.Where(l => l.Id != undroppable.LeaseId), l => Assert.Contains($"lease {l.Id}: role {l.Role} dropped (expired)", audit));
        Assert.Contains($"lease {undroppable.LeaseId}: role {undroppable.Username} not dropped", audit);

        // Once what blocked it is gone, the retry ends it.
        await postgres.ExecuteAsync($"DROP TABLE {Sql.Identifier(blocker)}");
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, PgRotateJson.Deserialize<LeaseReapResult>((await sandbox.Cli.RunAsync("lease", "reap", "--json")).Ok())!.Revoked);
        Assert.Empty(await sandbox.LeaseRolesAsync());
    }

    private static string Table(string schema, string prefix) => $"{Sql.Identifier(schema)}.{Sql.Identifier(Unique.Name(prefix))}";

    private Task<string> OwnerAsync(string table, string database) =>
        postgres.ScalarAsync<string>($"SELECT relowner::regrole::text FROM pg_class WHERE oid = {Sql.Literal(table)}::regclass", database);
}

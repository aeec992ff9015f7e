using Npgsql;
using PgRotate.Contracts;
using PgRotate.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Leases;

/// <summary>Issue, renew and revoke through the CLI against real PostgreSQL, with a non-superuser rotator.</summary>
public sealed class LeaseLifecycleTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_issued_lease_logs_in_as_its_own_role_acting_as_the_group_and_what_it_creates_belongs_to_the_group()
    {
        using var sandbox = await LeaseSandbox.CreateAsync(postgres);
        var lease = await sandbox.IssueAsync("--ttl", "10m");

        Assert.StartsWith(sandbox.Group + "_l_", lease.Username);
        Assert.StartsWith("lease_", lease.LeaseId);
        await using var connection = await sandbox.LoginAsync(lease);
        Assert.Equal($"{lease.Username}|{sandbox.Group}", await connection.ScalarAsync<string>("SELECT session_user || '|' || current_user"));
        var table = Unique.Name("t");
        await connection.ExecuteAsync($"CREATE TABLE {Sql.Identifier(table)} (i int)");
        Assert.Equal(sandbox.Group, await postgres.ScalarAsync<string>($"SELECT tableowner::text FROM pg_tables WHERE tablename = {Sql.Literal(table)}"));
        // VALID UNTIL is the lease's expiry.
        var validUntil = await postgres.ScalarAsync<DateTime>($"SELECT rolvaliduntil FROM pg_roles WHERE rolname = {Sql.Literal(lease.Username)}");
        Assert.Equal(lease.ExpiresAt.UtcDateTime, validUntil.ToUniversalTime(), TimeSpan.FromMilliseconds(1));
        var listed = Assert.Single(await sandbox.ListAsync("--secret", sandbox.Secret));
        Assert.Equal((lease.LeaseId, LeaseStatus.Active), (listed.Id, listed.Status));
    }

    [Fact]
    public async Task Renewing_moves_the_roles_valid_until_and_never_past_the_maximum()
    {
        using var sandbox = await LeaseSandbox.CreateAsync(postgres, addOptions: ["--max-ttl", "2h"]);
        var lease = await sandbox.IssueAsync("--ttl", "5m");

        var renewed = PgRotateJson.Deserialize<LeaseSummary>((await sandbox.Cli.RunAsync("lease", "renew", lease.LeaseId, "--ttl", "1h", "--json")).Ok())!;
        Assert.True(renewed.ExpiresAt > lease.ExpiresAt.AddMinutes(50));
        Assert.Equal(renewed.ExpiresAt.UtcDateTime, (await ValidUntilAsync(lease.Username)).ToUniversalTime(), TimeSpan.FromMilliseconds(1));

        var capped = PgRotateJson.Deserialize<LeaseSummary>((await sandbox.Cli.RunAsync("lease", "renew", lease.LeaseId, "--ttl", "5h", "--json")).Ok())!;
        Assert.Equal(lease.MaxExpiresAt, capped.ExpiresAt);
        Assert.Equal(lease.MaxExpiresAt.UtcDateTime, (await ValidUntilAsync(lease.Username)).ToUniversalTime(), TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public async Task Revoking_ends_open_sessions_keeps_objects_with_the_group_and_drops_the_role_across_two_databases()
    {
        var other = await postgres.CreateDatabaseAsync();
        using var sandbox = await LeaseSandbox.CreateAsync(postgres);
        var schema = Unique.Name("s");
        foreach (var database in new[] { "postgres", other })
        {
            await postgres.ExecuteAsync($"CREATE SCHEMA {Sql.Identifier(schema)} AUTHORIZATION {Sql.Identifier(sandbox.Group)}", database);
        }

        var lease = await sandbox.IssueAsync();
        var (viaGroup, ownedByLease, inOther) = (Table(schema, "g"), Table(schema, "o"), Table(schema, "x"));
        var quotedLease = Sql.Identifier(lease.Username);
        await using var session = await sandbox.LoginAsync(lease);
        await session.ExecuteAsync($"CREATE TABLE {viaGroup} (i int)");
        // Privileges granted to the lease's role directly (by the application, acting as the group), used through SET
        // ROLE NONE so that the lease's own role owns what it creates, in this database and another.
        await session.ExecuteAsync($"GRANT USAGE, CREATE ON SCHEMA {Sql.Identifier(schema)} TO {quotedLease}; SET ROLE NONE; CREATE TABLE {ownedByLease} (i int); RESET ROLE");
        await using (var inOtherDatabase = await sandbox.LoginAsync(lease, other))
        {
            await inOtherDatabase.ExecuteAsync($"GRANT USAGE, CREATE ON SCHEMA {Sql.Identifier(schema)} TO {quotedLease}; SET ROLE NONE; CREATE TABLE {inOther} (i int)");
        }

        Assert.Equal(lease.Username, await OwnerAsync(ownedByLease, "postgres"));
        Assert.Equal(lease.Username, await OwnerAsync(inOther, other));

        var output = (await sandbox.Cli.RunAsync("lease", "revoke", lease.LeaseId)).Ok();

        Assert.Contains("revoked", output);
        Assert.False(await sandbox.RoleExistsAsync(lease.Username));
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => session.ScalarAsync<int>("SELECT 1"));
        Assert.Equal(sandbox.Group, await OwnerAsync(viaGroup, "postgres"));
        Assert.Equal(sandbox.Group, await OwnerAsync(ownedByLease, "postgres"));
        Assert.Equal(sandbox.Group, await OwnerAsync(inOther, other));
        var listed = Assert.Single(await sandbox.ListAsync("--all"));
        Assert.Equal((LeaseStatus.Revoked, "revoked"), (listed.Status, listed.RevokeReason));
        // A second revoke changes nothing and succeeds.
        (await sandbox.Cli.RunAsync("lease", "revoke", lease.LeaseId)).Ok();
    }

    private static string Table(string schema, string prefix) => $"{Sql.Identifier(schema)}.{Sql.Identifier(Unique.Name(prefix))}";

    private Task<string> OwnerAsync(string table, string database) =>
        postgres.ScalarAsync<string>($"SELECT relowner::regrole::text FROM pg_class WHERE oid = {Sql.Literal(table)}::regclass", database);

    [Fact]
    public async Task PostgreSQL_itself_refuses_an_expired_lease_while_nothing_of_pgrotate_runs()
    {
        using var sandbox = await LeaseSandbox.CreateAsync(postgres);
        var lease = await sandbox.IssueAsync("--ttl", "2s");
        await using (await sandbox.LoginAsync(lease))
        {
        }

        // No reaper, no server: only the clock moves past the lease's VALID UNTIL.
        var untilExpiry = lease.ExpiresAt - DateTimeOffset.UtcNow;
        if (untilExpiry > TimeSpan.Zero)
        {
            await Task.Delay(untilExpiry + TimeSpan.FromMilliseconds(200), Ct);
        }

        var refused = await Assert.ThrowsAsync<PostgresException>(() => sandbox.LoginAsync(lease));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, refused.SqlState);
        Assert.True(await sandbox.RoleExistsAsync(lease.Username));
    }

    [Fact]
    public async Task A_lease_of_a_secret_that_is_not_dynamic_is_refused_and_renewing_a_revoked_lease_is_refused()
    {
        using var sandbox = await LeaseSandbox.CreateAsync(postgres);
        var lease = await sandbox.IssueAsync();
        (await sandbox.Cli.RunAsync("lease", "revoke", lease.LeaseId)).Ok();

        var renew = await sandbox.Cli.RunAsync("lease", "renew", lease.LeaseId);
        renew.FailsWith(12);
        Assert.Single(renew.Error.Trim().Split('\n'));
        (await sandbox.Cli.RunAsync("lease", "revoke", "not-a-lease")).FailsWith(2);
        (await sandbox.Cli.RunAsync("lease", "renew", "lease_zzzzzzzzzzzzzzzzzzzzzzzz")).FailsWith(3);
    }

    private Task<DateTime> ValidUntilAsync(string role) =>
        postgres.ScalarAsync<DateTime>($"SELECT rolvaliduntil FROM pg_roles WHERE rolname = {Sql.Literal(role)}");
}

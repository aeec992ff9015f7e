using PgRotate.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Leases;

/// <summary><c>secret add --strategy dynamic</c>: the group only, TTL limits, idempotent reruns, bad input refused before anything changes.</summary>
public sealed class DynamicSecretAddTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_dynamic_secret_creates_only_its_nologin_group_and_a_rerun_changes_nothing()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("grp");

        var dryRun = (await sandbox.RunAsync("secret", "add", "dyn/app", "--target", sandbox.TargetName, "--group", group, "--strategy", "dynamic", "--dry-run")).Ok();
        Assert.Contains($"CREATE ROLE \"{group}\" NOLOGIN;", dryRun);
        Assert.False(await RoleExistsAsync(group));
        Assert.Contains("no secrets", (await sandbox.RunAsync("secret", "list")).Ok());

        var added = (await sandbox.RunAsync("secret", "add", "dyn/app", "--target", sandbox.TargetName, "--group", group, "--strategy", "dynamic", "--max-ttl", "8h")).Ok();
        Assert.Contains("no login exists until a lease is issued", added);
        Assert.False(await postgres.ScalarAsync<bool>($"SELECT rolcanlogin FROM pg_roles WHERE rolname = {Sql.Literal(group)}"));
        Assert.Equal(0L, await postgres.ScalarAsync<long>($"SELECT count(*) FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE g.rolname = {Sql.Literal(group)}"));
        Assert.Contains("dynamic", (await sandbox.RunAsync("secret", "list")).Ok());

        Assert.Contains("nothing changed", (await sandbox.RunAsync("secret", "add", "dyn/app", "--target", sandbox.TargetName, "--group", group, "--strategy", "dynamic", "--max-ttl", "8h")).Ok());
        (await sandbox.RunAsync("secret", "add", "dyn/app", "--target", sandbox.TargetName, "--group", group, "--strategy", "dynamic", "--max-ttl", "9h")).FailsWith(4);
    }

    [Theory]
    [InlineData("--every", "30d")]
    [InlineData("--logins", "a,b")]
    [InlineData("--default-ttl", "2d")]
    [InlineData("--name-template", "{random}_{group}")]
    [InlineData("--name-template", "{group}_x")]
    [InlineData("--max-ttl", "0s")]
    public async Task Bad_input_for_a_dynamic_secret_is_refused_with_one_line_and_changes_nothing(string option, string value)
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("grp");
        var before = await sandbox.StoreBytesAsync();

        var run = await sandbox.RunAsync("secret", "add", "dyn/app", "--target", sandbox.TargetName, "--group", group, "--strategy", "dynamic", option, value);

        run.FailsWith(2);
        Assert.Single(run.Error.Trim().Split('\n'));
        Assert.False(await RoleExistsAsync(group));
        Assert.Equal(before, await sandbox.StoreBytesAsync());
    }

    [Fact]
    public async Task Lease_options_on_a_rotated_secret_and_leases_of_a_rotated_secret_are_refused()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("grp");

        (await sandbox.RunAsync("secret", "add", "alt/app", "--target", sandbox.TargetName, "--group", group, "--default-ttl", "1h")).FailsWith(2);
        (await sandbox.RunAsync("secret", "add", "alt/app", "--target", sandbox.TargetName, "--group", group)).Ok();
        var issue = await sandbox.RunAsync("lease", "issue", "alt/app");
        issue.FailsWith(12);
        Assert.Contains("alternating", issue.Error);

        using var dynamic = await LeaseSandbox.CreateAsync(postgres);
        (await dynamic.Cli.RunAsync("rotate", dynamic.Secret)).FailsWith(12);
    }

    private Task<bool> RoleExistsAsync(string role) =>
        postgres.ScalarAsync<bool>($"SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {Sql.Literal(role)})");
}

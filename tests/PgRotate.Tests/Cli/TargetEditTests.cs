using System.Text.Json;
using PgRotate.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Cli;

/// <summary>'target update' stores a new connection or admin password (verified by connecting); 'target remove' forgets a target.</summary>
public sealed class TargetEditTests(PostgresFixture postgres)
{
    private const int Usage = 2;
    private const int NotFound = 3;
    private const int AuthenticationFailed = 10;
    private const int IncompatibleState = 12;

    [Fact]
    public async Task After_a_DBA_resets_the_rotator_password_target_update_stores_the_new_one()
    {
        var rotator = Unique.Name("rotator");
        await postgres.ExecuteAsync($"CREATE ROLE \"{rotator}\"");
        var old = await Logins.GivePasswordAsync(postgres, rotator);
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync(user: rotator, password: old.Reveal());
        var reset = await Logins.GivePasswordAsync(postgres, rotator);

        var output = (await sandbox.RunWithInputAsync(reset.Reveal() + "\n", "target", "update", sandbox.TargetName, "--password-stdin")).Ok();

        Assert.Contains($"updated target {sandbox.TargetName} (admin password)", output);
        Assert.Contains("PostgreSQL", output);
        var store = await sandbox.OpenStoreAsync();
        Assert.Equal(reset, (await store.GetTargetAsync(sandbox.TargetName, TestContext.Current.CancellationToken)).Password);
        Assert.DoesNotContain(reset.Reveal(), output);
    }

    [Fact]
    public async Task A_password_that_does_not_log_in_is_refused_and_nothing_is_stored()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var before = await sandbox.StoreBytesAsync();

        (await sandbox.RunWithInputAsync("not-the-password\n", "target", "update", sandbox.TargetName, "--password-stdin")).FailsWith(AuthenticationFailed);

        Assert.Equal(before, await sandbox.StoreBytesAsync());
    }

    [Fact]
    public async Task A_new_connection_string_keeps_the_stored_password_and_is_authenticated()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var database = await postgres.CreateDatabaseAsync();
        var cluster = postgres.Cluster;

        var output = (await sandbox.RunAsync("target", "update", sandbox.TargetName, "--conn", $"Host={cluster.Host};Port={cluster.Port};Database={database};Username=postgres")).Ok();

        Assert.Contains($"updated target {sandbox.TargetName} (connection): {cluster.Host}:{cluster.Port}/{database} as postgres", output);
        var listed = JsonDocument.Parse((await sandbox.RunAsync("target", "list", "--json")).Ok()).RootElement[0];
        Assert.Equal(database, listed.GetProperty("database").GetString());
        // The recomputed row authentication holds: commands that connect still accept the row.
        (await sandbox.RunAsync("target", "check", sandbox.TargetName)).Ok();
    }

    [Fact]
    public async Task Update_needs_something_to_change_and_a_known_target()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();

        Assert.Contains("nothing to update", (await sandbox.RunAsync("target", "update", sandbox.TargetName)).FailsWith(Usage));
        Assert.Contains("unknown target nope", (await sandbox.RunWithInputAsync("pw\n", "target", "update", "nope", "--password-stdin")).FailsWith(NotFound));
    }

    [Fact]
    public async Task Remove_forgets_an_unused_target()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();

        Assert.Contains($"removed target {sandbox.TargetName}", (await sandbox.RunAsync("target", "remove", sandbox.TargetName)).Ok());

        Assert.Contains("no targets", (await sandbox.RunAsync("target", "list")).Ok());
    }

    [Fact]
    public async Task Remove_is_refused_while_secrets_use_the_target_and_force_removes_them_too_leaving_the_roles()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group)).Ok();
        var current = await sandbox.CurrentVersionAsync("orders/app");

        var refused = (await sandbox.RunAsync("target", "remove", sandbox.TargetName)).FailsWith(IncompatibleState);
        Assert.Contains("is used by 1 secret(s): orders/app", refused);
        Assert.Contains("--force", refused);
        Assert.Contains(sandbox.TargetName, (await sandbox.RunAsync("target", "list")).Ok());

        var forced = (await sandbox.RunAsync("target", "remove", sandbox.TargetName, "--force")).Ok();

        Assert.Contains($"removed target {sandbox.TargetName} and its 1 secret(s): orders/app", forced);
        Assert.Contains("no secrets", (await sandbox.RunAsync("secret", "list")).Ok());
        Assert.Contains("no targets", (await sandbox.RunAsync("target", "list")).Ok());
        await using var stillWorks = await Logins.OpenAsync(postgres, current.Username, current.Password);
        Assert.Equal(group, await stillWorks.ScalarAsync<string>("SELECT current_user::text"));
    }
}

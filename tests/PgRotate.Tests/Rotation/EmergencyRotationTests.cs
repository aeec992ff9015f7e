using System.Text.Json;
using Npgsql;
using PgRotate.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary>
/// After a leak: <c>rotate --revoke-previous</c> kills the leaked login at once (even inside a running grace), and
/// <c>--terminate</c> ends its open sessions; <c>rotate --grace</c> sets one rotation's grace.
/// </summary>
public sealed class EmergencyRotationTests(PostgresFixture postgres)
{
    private const string Secret = "orders/app";

    [Fact]
    public async Task Revoke_previous_makes_the_leaked_login_fail_at_once_while_the_new_one_works()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group, "--grace", "1h")).Ok();
        var leaked = await ClientLogin.GetAsync(sandbox, Secret);

        var run = Assert.Single(JsonDocument.Parse((await sandbox.RunAsync("rotate", Secret, "--revoke-previous", "--json")).Ok()).RootElement.EnumerateArray().ToList());

        Assert.True(run.GetProperty("previousRevoked").GetBoolean());
        Assert.Equal(PostgresErrorCodes.InvalidPassword, await ClientLogin.WhoAmIAsync(postgres, leaked));
        var current = await ClientLogin.GetAsync(sandbox, Secret);
        Assert.Equal($"{current.Username}/{group}", await ClientLogin.WhoAmIAsync(postgres, current));
        Assert.True(await postgres.ScalarAsync<bool>($"SELECT rolvaliduntil < now() FROM pg_roles WHERE rolname = '{leaked.Username}'"));
        Assert.Contains($"previous {leaked.Username} revoked at once", (await sandbox.RunAsync("history", Secret)).Ok());
    }

    [Fact]
    public async Task Revoke_previous_goes_ahead_inside_a_running_grace_and_cuts_it()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group, "--grace", "1h")).Ok();
        var first = await ClientLogin.GetAsync(sandbox, Secret);
        (await sandbox.RunAsync("rotate", Secret)).Ok();
        var second = await ClientLogin.GetAsync(sandbox, Secret);
        Assert.Equal($"{first.Username}/{group}", await ClientLogin.WhoAmIAsync(postgres, first));

        (await sandbox.RunAsync("rotate", Secret, "--revoke-previous")).Ok();

        Assert.Equal(PostgresErrorCodes.InvalidPassword, await ClientLogin.WhoAmIAsync(postgres, first));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, await ClientLogin.WhoAmIAsync(postgres, second));
        var third = await ClientLogin.GetAsync(sandbox, Secret);
        Assert.Equal(first.Username, third.Username);
        Assert.Equal($"{third.Username}/{group}", await ClientLogin.WhoAmIAsync(postgres, third));
    }

    [Fact]
    public async Task Terminate_ends_the_open_sessions_of_the_revoked_login()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group)).Ok();
        var leaked = await ClientLogin.GetAsync(sandbox, Secret);
        await using var attacker = await ClientLogin.OpenAsync(postgres, leaked);
        var attackerPid = attacker.ProcessID;

        var output = (await sandbox.RunAsync("rotate", Secret, "--revoke-previous", "--terminate")).Ok();

        Assert.Contains("1 session(s) on old credentials ended", output);
        Assert.Equal(0L, await postgres.ScalarAsync<long>($"SELECT count(*) FROM pg_stat_activity WHERE pid = {attackerPid}"));
        await Assert.ThrowsAnyAsync<Exception>(async () => await attacker.ExecuteAsync("SELECT 1"));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, await ClientLogin.WhoAmIAsync(postgres, leaked));
    }

    [Fact]
    public async Task Terminate_without_pg_signal_backend_is_refused_before_anything_changes_and_says_what_to_grant()
    {
        var rotator = Unique.Name("rotator");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(rotator)} CREATEROLE");
        var password = await Logins.GivePasswordAsync(postgres, rotator);
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync(user: rotator, password: password.Reveal());
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group)).Ok();
        var roles = await RoleRows.SnapshotAsync(postgres, group);

        var line = (await sandbox.RunAsync("rotate", Secret, "--revoke-previous", "--terminate")).FailsWith(11);

        Assert.Contains($"GRANT pg_signal_backend TO \"{rotator}\"", line);
        Assert.Contains("nothing was changed", line);
        Assert.Equal(roles, await RoleRows.SnapshotAsync(postgres, group));
        Assert.Equal(1, (await SecretState.ReadAsync(sandbox, Secret)).Highest);
    }

    [Fact]
    public async Task Terminate_needs_revoke_previous()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"))).Ok();

        Assert.Contains("--revoke-previous", (await sandbox.RunAsync("rotate", Secret, "--terminate")).FailsWith(2));
        Assert.Equal(1, (await SecretState.ReadAsync(sandbox, Secret)).Highest);
    }

    [Fact]
    public async Task A_grace_given_to_rotate_overrides_the_secrets_own_for_that_rotation()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"), "--grace", "1h")).Ok();
        var before = DateTimeOffset.UtcNow;

        var rotated = Assert.Single(RotateRun.Parse((await sandbox.RunAsync("rotate", Secret, "--grace", "5m", "--json")).Ok()));

        var until = Assert.IsType<DateTimeOffset>(rotated.PreviousValidUntil);
        Assert.InRange(until, before.AddMinutes(5), DateTimeOffset.UtcNow.AddMinutes(5));
        var server = await postgres.ScalarAsync<DateTime>($"SELECT rolvaliduntil FROM pg_roles WHERE rolname = '{rotated.PreviousUsername}'");
        Assert.Equal(until.UtcDateTime, server, TimeSpan.FromSeconds(1));
        Assert.Contains("grace      1h", (await sandbox.RunAsync("secret", "show", Secret)).Ok());
    }

    [Fact]
    public async Task A_rotation_grace_longer_than_the_schedule_is_refused()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"), "--every", "1h")).Ok();

        var line = (await sandbox.RunAsync("rotate", Secret, "--grace", "2h")).FailsWith(2);

        Assert.Contains("is longer than the 1h between scheduled rotations", line);
        Assert.Equal(1, (await SecretState.ReadAsync(sandbox, Secret)).Highest);
    }
}

using System.Text.Json;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Postgres;

/// <summary>
/// 'pgrotate check' logs in with the credentials clients may be using (the current one, and the previous one during
/// its grace): a credential that no longer works is drift even when the catalog looks right.
/// </summary>
public sealed class DriftLoginTests(PostgresFixture postgres)
{
    private const int DriftDetected = 15;

    [Fact]
    public async Task A_current_password_changed_behind_pgrotates_back_is_drift_and_a_rotation_mends_it()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group)).Ok();
        await Logins.GivePasswordAsync(postgres, group + "_a");

        var text = await sandbox.RunAsync("check", "orders/app");
        var json = await sandbox.RunAsync("check", "orders/app", "--json");

        Assert.Contains("drift found in 1 of 1 secret(s)", text.FailsWith(DriftDetected));
        Assert.Contains($"login_fails: the current credential (version 1, login {group}_a) does not log in", text.Out);
        Assert.Contains("fix: pgrotate rotate orders/app --revoke-previous", text.Out);
        json.FailsWith(DriftDetected);
        var drift = Assert.Single(JsonDocument.Parse(json.Out).RootElement.GetProperty("drift").EnumerateArray());
        Assert.Equal(("login_fails", group + "_a", "pgrotate rotate orders/app --revoke-previous"),
            (drift.GetProperty("kind").GetString(), drift.GetProperty("role").GetString(), drift.GetProperty("command").GetString()));

        (await sandbox.RunAsync("rotate", "orders/app", "--revoke-previous")).Ok();
        (await sandbox.RunAsync("check", "orders/app")).Ok();
    }

    [Fact]
    public async Task A_single_roles_password_changed_behind_pgrotates_back_is_drift()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var role = Unique.Name("solo");
        (await sandbox.RunAsync("secret", "add", "solo/app", "--strategy", "single", "--target", sandbox.TargetName, "--group", role)).Ok();
        await Logins.GivePasswordAsync(postgres, role);

        var run = await sandbox.RunAsync("check", "solo/app");

        run.FailsWith(DriftDetected);
        Assert.Contains($"login_fails: the current credential (version 1, login {role}) does not log in", run.Out);
    }

    [Fact]
    public async Task A_login_that_acts_as_another_role_in_the_targets_database_is_drift()
    {
        // A role setting for one database only overrides the cluster-wide one there: the catalog check, which reads
        // the cluster-wide setting, sees nothing wrong; a login to the target's database shows it.
        var database = await postgres.CreateDatabaseAsync();
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync(database);
        var group = Unique.Name("app");
        var other = Unique.Name("other");
        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group)).Ok();
        await postgres.ExecuteAsync($"CREATE ROLE \"{other}\" NOLOGIN; GRANT \"{other}\" TO \"{group}_a\"; ALTER ROLE \"{group}_a\" IN DATABASE \"{database}\" SET role = '{other}'");

        var run = await sandbox.RunAsync("check", "orders/app");

        run.FailsWith(DriftDetected);
        Assert.Contains($"login_acts_as_other: the current credential (version 1) logs in, but login as {group}_a acts as {other}, not {group}", run.Out);
    }

    [Fact]
    public async Task A_previous_credential_is_tried_during_its_grace_and_not_after()
    {
        var time = CliSandbox.FakeTime();
        // Fake time decides which credentials are in grace; the server enforces VALID UNTIL by its own clock, so the
        // fake clock starts at the real time.
        time.SetUtcNow(DateTimeOffset.UtcNow);
        using var sandbox = await new CliSandbox(postgres, time).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group, "--grace", "1h")).Ok();
        (await sandbox.RunAsync("rotate", "orders/app")).Ok();
        (await sandbox.RunAsync("check", "orders/app")).Ok();
        await Logins.GivePasswordAsync(postgres, group + "_a");

        var inGrace = await sandbox.RunAsync("check", "orders/app");
        time.Advance(TimeSpan.FromHours(2));
        var afterGrace = await sandbox.RunAsync("check", "orders/app");

        inGrace.FailsWith(DriftDetected);
        Assert.Contains($"login_fails: the previous credential (version 1, login {group}_a) does not log in", inGrace.Out);
        Assert.Equal("ok     orders/app", afterGrace.Ok().Trim());
    }
}

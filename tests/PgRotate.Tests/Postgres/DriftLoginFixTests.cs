using System.Text.Json;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Postgres;

/// <summary>The fix 'check' names for a credential that does not log in is one that works as printed.</summary>
public sealed class DriftLoginFixTests(PostgresFixture postgres)
{
    private const int DriftDetected = 15;

    [Fact]
    public async Task A_broken_current_credential_during_a_grace_gets_a_revoking_rotation_as_its_fix_and_that_fix_mends_it()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group, "--grace", "1h")).Ok();
        (await sandbox.RunAsync("rotate", "orders/app")).Ok();   // current app_b, previous app_a inside its grace
        await Logins.GivePasswordAsync(postgres, group + "_b");

        var json = await sandbox.RunAsync("check", "orders/app", "--json");

        json.FailsWith(DriftDetected);
        var drift = Assert.Single(JsonDocument.Parse(json.Out).RootElement.GetProperty("drift").EnumerateArray());
        Assert.Equal(("login_fails", group + "_b", "pgrotate rotate orders/app --revoke-previous"),
            (drift.GetProperty("kind").GetString(), drift.GetProperty("role").GetString(), drift.GetProperty("command").GetString()));
        // The plain command is refused inside the grace; the printed one mends the secret.
        (await sandbox.RunAsync("rotate", "orders/app")).FailsWith(12);
        (await sandbox.RunAsync(["rotate", "orders/app", "--revoke-previous"])).Ok();
        (await sandbox.RunAsync("check", "orders/app")).Ok();
    }

    [Fact]
    public async Task A_broken_previous_credential_sends_its_clients_to_the_current_one_instead_of_rotating()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group, "--grace", "1h")).Ok();
        (await sandbox.RunAsync("rotate", "orders/app")).Ok();
        await Logins.GivePasswordAsync(postgres, group + "_a");

        var run = await sandbox.RunAsync("check", "orders/app");

        run.FailsWith(DriftDetected);
        Assert.Contains($"the previous credential (version 1, login {group}_a) does not log in", run.Out);
        Assert.Contains("clients still on it must move to the current credential", run.Out);
        Assert.Contains("fix: pgrotate get orders/app", run.Out);
    }
}

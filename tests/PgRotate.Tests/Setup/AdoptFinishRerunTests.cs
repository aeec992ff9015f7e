using PgRotate.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Setup;

/// <summary>
/// 'secret adopt-finish' on an adoption that is already finished exits 0, says so and changes nothing, so scripts can
/// rerun it; through the real binary, as operators and scripts run it.
/// </summary>
public sealed class AdoptFinishRerunTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_second_adopt_finish_exits_0_and_says_the_adoption_is_already_finished()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var legacy = Unique.Name("legacy");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(legacy)} LOGIN");
        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", legacy, "--adopt")).Ok();
        (await CliProcess.RunAsync(sandbox, null, "secret", "adopt-finish", "orders/app", "--quiet-period", "0s")).Ok();
        var history = (await sandbox.RunAsync("history", "orders/app")).Ok();

        var again = (await CliProcess.RunAsync(sandbox, null, "secret", "adopt-finish", "orders/app", "--quiet-period", "0s")).Ok();

        Assert.Contains("adoption of orders/app is already finished; nothing changed", again);
        Assert.False(await postgres.ScalarAsync<bool>($"SELECT rolcanlogin FROM pg_roles WHERE rolname = '{legacy}'"));
        Assert.Equal(history, (await sandbox.RunAsync("history", "orders/app")).Ok());
    }

    [Fact]
    public async Task Adopt_finish_on_an_adopted_single_role_keeps_it_able_to_log_in()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var solo = Unique.Name("solo");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(solo)} LOGIN");
        (await sandbox.RunAsync("secret", "add", "solo/app", "--strategy", "single", "--target", sandbox.TargetName, "--group", solo, "--adopt")).Ok();

        var run = (await CliProcess.RunAsync(sandbox, null, "secret", "adopt-finish", "solo/app", "--quiet-period", "0s")).Ok();

        Assert.Contains("already finished", run);
        Assert.Equal($"{solo}/{solo}", await ClientLogin.WhoAmIAsync(postgres, await ClientLogin.GetAsync(sandbox, "solo/app")));
    }
}

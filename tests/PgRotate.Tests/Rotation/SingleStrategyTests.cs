using Npgsql;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary>The single strategy: one LOGIN role whose password is changed in place (for apps that cannot change username).</summary>
public sealed class SingleStrategyTests(PostgresFixture postgres)
{
    private const string Secret = "legacy/app";

    [Fact]
    public async Task A_single_role_gets_a_new_password_in_place_and_the_old_one_stops_working()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var role = Unique.Name("app1");
        (await sandbox.RunAsync("secret", "add", Secret, "--strategy", "single", "--target", sandbox.TargetName, "--group", role)).Ok();
        Assert.True(await postgres.ScalarAsync<bool>($"SELECT rolcanlogin FROM pg_roles WHERE rolname = '{role}'"));
        var first = await ClientLogin.GetAsync(sandbox, Secret);
        Assert.Equal((role, 1), (first.Username, first.Version));
        Assert.Equal($"{role}/{role}", await ClientLogin.WhoAmIAsync(postgres, first));

        var rotated = await RotateRun.RunAsync(sandbox, Secret);

        Assert.Equal((2, role, null), (rotated.Version, rotated.Username, rotated.PreviousUsername));
        var second = await ClientLogin.GetAsync(sandbox, Secret);
        Assert.Equal((role, 2), (second.Username, second.Version));
        Assert.NotEqual(first.Password, second.Password);
        Assert.Equal($"{role}/{role}", await ClientLogin.WhoAmIAsync(postgres, second));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, await ClientLogin.WhoAmIAsync(postgres, first));
        // The old password is gone from the server, so the store offers no previous credential either.
        (await sandbox.RunAsync("get", Secret, "--stage", "previous")).FailsWith(3);
        var state = await SecretState.ReadAsync(sandbox, Secret);
        Assert.Equal([(1, "retired"), (2, "current")], state.Versions.Select(v => (v.Number, v.Stage)));
        Assert.Equal(1L, await postgres.ScalarAsync<long>($"SELECT count(*) FROM pg_roles WHERE rolname LIKE '{role}%'"));
    }

    [Fact]
    public async Task A_single_role_whose_new_password_fails_its_check_gets_the_old_password_back()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var role = Unique.Name("app1");
        var gate = Unique.Name("gate");
        // The check divides by the number of rows in the gate table: it passes at setup and fails once emptied.
        await postgres.ExecuteAsync($"CREATE TABLE {gate}(); INSERT INTO {gate} DEFAULT VALUES; GRANT SELECT ON {gate} TO PUBLIC");
        (await sandbox.RunAsync("secret", "add", Secret, "--strategy", "single", "--target", sandbox.TargetName, "--group", role,
            "--check-sql", $"SELECT 1/count(*)::int FROM {gate}")).Ok();
        var first = await ClientLogin.GetAsync(sandbox, Secret);
        await postgres.ExecuteAsync($"DELETE FROM {gate}");

        var error = (await sandbox.RunAsync("rotate", Secret)).FailsWith(14);

        Assert.Contains("22012", error);
        Assert.Equal(first, await ClientLogin.GetAsync(sandbox, Secret));
        Assert.Equal($"{role}/{role}", await ClientLogin.WhoAmIAsync(postgres, first));
        var state = await SecretState.ReadAsync(sandbox, Secret);
        Assert.Equal([(1, "current"), (2, "failed")], state.Versions.Select(v => (v.Number, v.Stage)));
        var store = await sandbox.OpenStoreAsync();
        var failed = (await store.ListVersionsAsync(Secret, TestContext.Current.CancellationToken)).Single(v => v.Number == 2);
        Assert.Equal(PostgresErrorCodes.InvalidPassword, await ClientLogin.WhoAmIAsync(postgres, SecretState.LoginOf(failed)));

        await postgres.ExecuteAsync($"INSERT INTO {gate} DEFAULT VALUES");
        var rotated = await RotateRun.RunAsync(sandbox, Secret);

        Assert.Equal((3, false), (rotated.Version, rotated.Resumed));
        Assert.Equal($"{role}/{role}", await ClientLogin.WhoAmIAsync(postgres, await ClientLogin.GetAsync(sandbox, Secret)));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, await ClientLogin.WhoAmIAsync(postgres, first));
    }
}

using Npgsql;
using PgRotate.Secrets;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary>A rotation that fails at its test or set step never promotes anything and leaves the current credential working.</summary>
public sealed class RotationFailureTests(PostgresFixture postgres)
{
    private const string Secret = "orders/app";

    [Fact]
    public async Task A_failing_check_query_marks_the_new_version_failed_and_invalidates_its_login()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        // Passes for the first login (secret add tests it too), divides by zero as the second: the first rotation's.
        var check = $"SELECT 1/(session_user <> '{group}_b')::int";
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group, "--check-sql", check)).Ok();
        var first = await ClientLogin.GetAsync(sandbox, Secret);

        var run = await sandbox.RunAsync("rotate", Secret);

        var error = run.FailsWith(14);
        Assert.Contains($"rotation of {Secret} failed its test and was not promoted", error);
        Assert.Contains("22012", error);
        Assert.Contains($"{first.Username} stays current", error);
        var state = await SecretState.ReadAsync(sandbox, Secret);
        Assert.Equal([(1, first.Username, "current"), (2, group + "_b", "failed")], state.Versions.Select(v => (v.Number, v.Username, v.Stage)));
        (await sandbox.RunAsync("get", Secret, "--stage", "pending")).FailsWith(3);

        var failed = await StoredVersionAsync(sandbox, 2);
        Assert.DoesNotContain(failed.Password.Reveal(), run.Error + run.Out);
        Assert.Equal(PostgresErrorCodes.InvalidPassword, await ClientLogin.WhoAmIAsync(postgres, SecretState.LoginOf(failed)));
        Assert.True(await postgres.ScalarAsync<bool>($"SELECT rolvaliduntil < now() FROM pg_roles WHERE rolname = '{failed.Username}'"));
        Assert.Equal(first, await ClientLogin.GetAsync(sandbox, Secret));
        Assert.Equal($"{first.Username}/{group}", await ClientLogin.WhoAmIAsync(postgres, first));
        Assert.Contains("failed", (await sandbox.RunAsync("history", Secret)).Ok());
    }

    [Fact]
    public async Task A_login_that_lost_its_group_membership_fails_the_test_and_is_not_promoted()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group)).Ok();
        var first = await ClientLogin.GetAsync(sandbox, Secret);
        // PostgreSQL only warns at login and the session acts as the login role: objects would not belong to the group.
        await postgres.ExecuteAsync($"REVOKE \"{group}\" FROM \"{group}_b\"");

        var error = (await sandbox.RunAsync("rotate", Secret)).FailsWith(14);

        Assert.Contains($"acts as {group}_b, not {group}", error);
        Assert.Equal("failed", (await SecretState.ReadAsync(sandbox, Secret)).Versions.Single(v => v.Number == 2).Stage);
        Assert.Equal($"{first.Username}/{group}", await ClientLogin.WhoAmIAsync(postgres, await ClientLogin.GetAsync(sandbox, Secret)));
    }

    [Fact]
    public async Task A_failed_set_leaves_the_current_untouched_and_the_next_run_resumes_the_pending_version()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group)).Ok();
        var first = await ClientLogin.GetAsync(sandbox, Secret);
        await postgres.ExecuteAsync($"DROP ROLE \"{group}_b\"");

        var run = await sandbox.RunAsync("rotate", Secret);

        var error = run.FailsWith(17);
        Assert.Contains($"rotation of {Secret} stopped at step set", error);
        Assert.Contains($"role \"{group}_b\" does not exist", error);
        Assert.Contains($"version 2 stays pending; the next 'pgrotate rotate {Secret}' resumes it", error);
        Assert.Contains($"{first.Username} stays current", error);
        var pending = await ClientLogin.GetAsync(sandbox, Secret, "pending");
        Assert.DoesNotContain(pending.Password, run.Error + run.Out);
        Assert.DoesNotContain("SCRAM-SHA-256$", run.Error);
        var state = await SecretState.ReadAsync(sandbox, Secret);
        Assert.Equal([(1, "current"), (2, "pending")], state.Versions.Select(v => (v.Number, v.Stage)));
        Assert.Equal(first, await ClientLogin.GetAsync(sandbox, Secret));
        Assert.Equal($"{first.Username}/{group}", await ClientLogin.WhoAmIAsync(postgres, first));

        // The superuser puts the role back as secret add made it; the next run carries on with the stored password.
        await postgres.ExecuteAsync($"CREATE ROLE \"{group}_b\" NOLOGIN; GRANT \"{group}\" TO \"{group}_b\"; ALTER ROLE \"{group}_b\" SET role = '{group}'");
        var resumed = await RotateRun.RunAsync(sandbox, Secret);

        Assert.Equal((2, true, group + "_b"), (resumed.Version, resumed.Resumed, resumed.Username));
        Assert.Equal(pending, await ClientLogin.GetAsync(sandbox, Secret));
        await SecretState.AssertSettledAsync(postgres, sandbox, Secret, group);
    }

    private static async Task<SecretVersion> StoredVersionAsync(CliSandbox sandbox, int number)
    {
        var store = await sandbox.OpenStoreAsync();
        return (await store.ListVersionsAsync(Secret, TestContext.Current.CancellationToken)).Single(v => v.Number == number);
    }
}

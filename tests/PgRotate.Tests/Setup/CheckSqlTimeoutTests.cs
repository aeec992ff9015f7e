using PgRotate.Tests.Support;

namespace PgRotate.Tests.Setup;

/// <summary>A check query that hangs fails the test after a bounded time, as a failed check, not as an unreachable server.</summary>
public sealed class CheckSqlTimeoutTests(PostgresFixture postgres)
{
    private const int RotationFailed = 14;

    [Fact]
    public async Task A_check_that_never_finishes_fails_the_setup_with_its_time_limit_and_stores_nothing()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");

        var line = (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group,
            "--check-sql", "SELECT pg_sleep(3600)")).FailsWith(RotationFailed);

        Assert.Contains("did not finish within 20 s", line);
        Assert.DoesNotContain("timed out", line);
        Assert.Equal("[]", (await sandbox.RunAsync("secret", "list", "--json")).Ok().Trim());
    }
}

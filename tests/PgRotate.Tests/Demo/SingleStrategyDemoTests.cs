using PgRotate.Contracts;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Demo;

/// <summary>
/// The demo with a single secret: its one login's password changes in place, so connections opened with the old one
/// between the rotation and the clients hearing of it fail. The demo reports them and still exits 0, since showing
/// them is what that run is for.
/// </summary>
public sealed class SingleStrategyDemoTests(PostgresFixture postgres)
{
    [Fact]
    public async Task With_a_single_secret_and_no_client_retry_the_demo_reports_the_failed_connections_and_exits_0()
    {
        using var sandbox = new CliSandbox(postgres);

        var output = (await CliProcess.RunAsync(sandbox, null, "demo", "--json", "--strategy", "single", "--no-client-retry", "--no-pooling",
            "--duration", "3s", "--workers", "2", "--pg-bindir", postgres.Cluster.Binaries.BinDir)).Ok();

        var summary = PgRotateJson.Deserialize<DemoSummary>(output)!;
        Assert.Equal(RotationStrategy.Single, summary.Strategy);
        Assert.False(summary.ClientRetry);
        Assert.True(summary.Rotations > 0, output);
        Assert.True(summary.Failures > 0, $"a single secret rotated {summary.Rotations} times and nothing failed: {output}");
        var pgBench = summary.PgBench!;
        var throughPgBouncer = summary.PgBouncer is { } bouncer ? bouncer.TransactionsFailed + bouncer.ConnectionsFailed : 0;
        Assert.Equal(summary.Queries.Failed + pgBench.TransactionsFailed + pgBench.ConnectionsFailed + throughPgBouncer, summary.Failures);
        Assert.Null(summary.SwitchOver);
        Assert.Null(summary.Checks.PreviousLogin);
        Assert.All(summary.Workers, w => Assert.Equal("app", w.Login));
    }
}

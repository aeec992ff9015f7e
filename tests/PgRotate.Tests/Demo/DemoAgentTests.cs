using PgRotate.Contracts;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Demo;

/// <summary>
/// The demo's pgbench -C reads the service file that pgrotate agent itself renders and keeps current, so the summary
/// names that file and the version the agent wrote last, which must have moved past the first with the rotations.
/// </summary>
public sealed class DemoAgentTests(PostgresFixture postgres)
{
    [Fact]
    public async Task The_service_file_pgbench_reads_is_rendered_by_the_agent_and_follows_the_rotations()
    {
        using var sandbox = new CliSandbox(postgres);

        var output = (await CliProcess.RunAsync(sandbox, null, "demo", "--json", "--duration", "3s", "--workers", "1",
            "--pg-bindir", postgres.Cluster.Binaries.BinDir)).Ok();

        var summary = PgRotateJson.Deserialize<DemoSummary>(output)!;
        Assert.True(summary.Rotations > 0, output);
        var pgBench = summary.PgBench!;
        Assert.EndsWith("pg_service.conf", pgBench.File, StringComparison.Ordinal);
        Assert.True(pgBench.FileVersion > 1, $"the agent never rewrote the service file after a rotation: {output}");
        Assert.True(pgBench.TransactionsOk > 0, output);
        Assert.Equal(0, summary.Failures);
    }
}

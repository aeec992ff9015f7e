using PgRotate.Contracts;
using PgRotate.Local;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Demo;

/// <summary>
/// The demo's pgbouncer leg: pgbench clients that stay connected to a throwaway pgbouncer whose [databases] line the
/// agent keeps current, while the secret rotates. pgbouncer keeps opening server connections, so it must log in with
/// both alternating logins in turn, and nothing may fail. It runs by default when pgbouncer is installed, is left out
/// with --no-pgbouncer, and --pgbouncer without one installed is refused before anything starts.
/// </summary>
public sealed class DemoPgBouncerTests(PostgresFixture postgres)
{
    [Fact]
    public async Task By_default_the_demo_runs_pgbench_through_pgbouncer_which_logs_in_as_both_logins_and_nothing_through_it_fails()
    {
        using var sandbox = new CliSandbox(postgres);

        // Two seconds between rotations: on a busy machine the other consumers' margin (one interval to move to the new
        // login) is what this test is not about.
        var run = await CliProcess.RunAsync(sandbox, null, "demo", "--json", "--duration", "6s", "--rotate-every", "2s", "--workers", "1",
            "--pg-bindir", postgres.Cluster.Binaries.BinDir);

        var output = run.Out + run.Error;
        Assert.True(run.ExitCode is 0 or 1, output);
        var summary = PgRotateJson.Deserialize<DemoSummary>(run.Out)!;
        Assert.Equal(summary.Failures == 0 ? 0 : 1, run.ExitCode);
        var bouncer = Assert.IsType<DemoPgBench>(summary.PgBouncer);
        Assert.Equal("pgbouncer", bouncer.Via);
        Assert.True(bouncer.TransactionsOk > 0, output);
        Assert.Equal(0, bouncer.TransactionsFailed);
        Assert.Equal(0, bouncer.ConnectionsFailed);
        Assert.EndsWith("databases.ini", bouncer.File, StringComparison.Ordinal);
        // The first write, then at least two rewrites after rotations.
        Assert.True(bouncer.FileWrites >= 3, $"the agent did not keep pgbouncer's file current: {output}");
        Assert.NotNull(bouncer.ServerLogins);
        Assert.True(bouncer.ServerLogins.GetValueOrDefault("app_a") > 0, $"pgbouncer never logged in as app_a: {output}");
        Assert.True(bouncer.ServerLogins.GetValueOrDefault("app_b") > 0, $"pgbouncer never logged in as app_b: {output}");
    }

    [Fact]
    public async Task With_no_pgbouncer_the_demo_has_no_pgbouncer_leg()
    {
        using var sandbox = new CliSandbox(postgres);

        var run = await CliProcess.RunAsync(sandbox, null, "demo", "--json", "--no-pgbouncer", "--duration", "2s", "--workers", "1",
            "--pg-bindir", postgres.Cluster.Binaries.BinDir);

        Assert.True(run.ExitCode is 0 or 1, run.Out + run.Error);
        var summary = PgRotateJson.Deserialize<DemoSummary>(run.Out)!;
        Assert.Null(summary.PgBouncer);
        Assert.NotNull(summary.PgBench);
    }

    [Fact]
    public async Task Asking_for_pgbouncer_when_none_is_installed_is_refused_with_one_line_before_anything_starts()
    {
        using var sandbox = new CliSandbox(postgres);
        sandbox.SetEnvironment(ThrowawayPgBouncer.ProgramVariable, Path.Combine(sandbox.Directory, "no-such-pgbouncer"));

        var line = (await sandbox.RunAsync("demo", "--pgbouncer", "--duration", "2s")).FailsWith(1);

        Assert.Contains("pgbouncer is not installed", line, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(sandbox.Directory));
    }

    [Fact]
    public async Task Pgbouncer_and_no_pgbouncer_together_are_refused_as_usage()
    {
        using var sandbox = new CliSandbox(postgres);

        var line = (await sandbox.RunAsync("demo", "--pgbouncer", "--no-pgbouncer")).FailsWith(2);

        Assert.Contains("--no-pgbouncer", line, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(sandbox.Directory));
    }
}

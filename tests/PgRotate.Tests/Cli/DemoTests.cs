using PgRotate.Contracts;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Cli;

/// <summary>
/// <c>pgrotate demo</c> through the real binary, for a few seconds: an alternating secret rotating every second under
/// .NET workers and pgbench -C, with nothing failing, every worker moving to the new logins, and the pattern's checks.
/// </summary>
public sealed class DemoTests(PostgresFixture postgres)
{
    [Fact]
    public async Task The_demo_rotates_an_alternating_secret_under_workers_and_pgbench_with_no_failure_and_every_worker_moves_to_the_new_login()
    {
        using var sandbox = new CliSandbox(postgres);

        var output = (await CliProcess.RunAsync(sandbox, null, "demo", "--json", "--duration", "3s", "--workers", "2", "--pg-bindir", postgres.Cluster.Binaries.BinDir)).Ok();

        var summary = PgRotateJson.Deserialize<DemoSummary>(output)!;
        Assert.Equal(RotationStrategy.Alternating, summary.Strategy);
        Assert.True(summary.Rotations > 0, output);
        Assert.Equal(0, summary.RotationsFailed);
        Assert.Equal(0, summary.Failures);
        Assert.Equal(0, summary.Queries.Failed);
        Assert.True(summary.Queries.Ok > 0);
        Assert.Equal(2, summary.Workers.Count);
        Assert.All(summary.Workers, w => Assert.True(w.LoginChanges > 0, $"worker {w.Index} never changed login: {output}"));
        var pgBench = Assert.IsType<DemoPgBench>(summary.PgBench);
        Assert.True(pgBench.TransactionsOk > 0, output);
        Assert.Equal(0, pgBench.TransactionsFailed);
        Assert.Equal(0, pgBench.ConnectionsFailed);
        Assert.NotNull(summary.SwitchOver);
        Assert.True(summary.SwitchOver.Samples > 0, output);
    }

    [Fact]
    public async Task The_demo_summary_keeps_the_walkthrough_current_and_previous_both_log_in_and_what_they_create_belongs_to_the_group()
    {
        using var sandbox = new CliSandbox(postgres);

        var output = (await CliProcess.RunAsync(sandbox, null, "demo", "--json", "--duration", "2s", "--workers", "1", "--pg-bindir", postgres.Cluster.Binaries.BinDir)).Ok();

        var checks = PgRotateJson.Deserialize<DemoSummary>(output)!.Checks;
        Assert.Equal("app", checks.Group);
        Assert.Matches("^app_[ab]$", checks.CurrentLogin);
        Assert.Matches("^app_[ab]$", checks.PreviousLogin!);
        Assert.NotEqual(checks.CurrentLogin, checks.PreviousLogin);
        Assert.True(checks.CurrentLogsIn);
        Assert.True(checks.PreviousLogsIn);
        Assert.Equal("app", checks.CurrentTableOwner);
        Assert.Equal("app", checks.PreviousTableOwner);
        Assert.Equal(0, checks.PasswordsInServerLog);
        Assert.True(checks.PasswordsGenerated > 1);
    }

    [Fact]
    public async Task Without_a_terminal_the_demo_prints_progress_lines_and_a_summary_for_people()
    {
        using var sandbox = new CliSandbox(postgres);

        var output = (await CliProcess.RunAsync(sandbox, null, "demo", "--duration", "2s", "--workers", "1", "--pg-bindir", postgres.Cluster.Binaries.BinDir)).Ok();

        Assert.Matches(@"(?m)^ +[0-9.]+s  rotations [0-9]+ \(login app_[ab]\)  queries [0-9]+ ok 0 failed", output);
        Assert.Contains("summary: alternating secret, client retry on", output);
        Assert.Matches(@"the pattern   current app_[ab] logs in, and a table it creates is owned by app; previous app_[ab] logs in", output);
        Assert.Contains("result        no failed query, transaction or connection", output);
        Assert.DoesNotContain("\u001b[", output);
        Assert.DoesNotContain("seed", output);
    }
}

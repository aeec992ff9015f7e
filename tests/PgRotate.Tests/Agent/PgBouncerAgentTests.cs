using System.Diagnostics;
using System.Globalization;
using PgRotate.Cli.Commands.Agent;
using PgRotate.Local;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Agent;

/// <summary>
/// A real pgbouncer whose [databases] include the agent keeps current: pgbench through it sees no failure while the
/// secret rotates several times, because pgbouncer is reloaded with each new login before the previous one stops working.
/// </summary>
public sealed class PgBouncerAgentTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Pgbench_through_pgbouncer_has_no_failed_transaction_while_the_secret_rotates()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var setup = new AgentSetup(sandbox);
        var secret = await setup.AddSecretAsync();
        // Server connections live at most 1 s, so pgbouncer keeps logging in to PostgreSQL with whatever it was given.
        await using var bouncer = await ThrowawayPgBouncer.StartAsync(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var agent = setup.Runner([AgentOutput.ParsePgBouncer($"{secret}:orders:{bouncer.DatabasesFile}", setup.Host)],
            pgBouncer: new PgBouncerReload(bouncer.PidFile, setup.Warnings)).RunAsync(once: false, stop.Token);
        var credential = await setup.CurrentAsync(secret);
        await setup.SendAsync(credential);
        await setup.Log.WaitForAsync(l => l.StartsWith("reloaded pgbouncer", StringComparison.Ordinal));
        Assert.Equal(credential.Username, await LibpqClient.SessionUserAsync(new Dictionary<string, string>(), bouncer.LibpqConnection("orders")));

        var script = setup.PathOf("select.sql");
        await File.WriteAllTextAsync(script, "SELECT session_user;\n", TestContext.Current.CancellationToken);
        // -C: a new connection to pgbouncer per transaction, 4 clients, long enough to outlast the rotations below.
        var pgbench = StartPgbench(bouncer, script);
        var logins = new HashSet<string>(StringComparer.Ordinal) { credential.Username };
        for (var rotation = 0; rotation < 5; rotation++)
        {
            // --force: each rotation also cuts the previous login's grace short, so pgbouncer must already be on the
            // login that is current (the agent reloaded it) before the next one; as with a schedule whose grace ends
            // at the next rotation.
            credential = await setup.RotateAsync(secret);
            logins.Add(credential.Username);
            await setup.SendAsync(credential);
            var rendered = setup.Log.Lines.Count;
            await setup.Log.WaitForAsync(l => l.EndsWith($"version {credential.Version}, login {credential.Username}", StringComparison.Ordinal));
            await setup.Log.WaitForAsync(l => l.StartsWith("reloaded pgbouncer", StringComparison.Ordinal) && setup.Log.Lines.Skip(rendered).Contains(l));
        }

        Assert.False(pgbench.HasExited, "pgbench ended before the rotations did; the test proved nothing");
        var (exit, output) = await FinishAsync(pgbench);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => agent);

        Assert.True(exit == 0, output);
        Assert.Matches(@"number of failed transactions: 0 \(", output);
        Assert.Matches(@"number of transactions actually processed: [1-9]", output);
        Assert.Equal(2, logins.Count);
        Assert.Equal(credential.Username, await LibpqClient.SessionUserAsync(new Dictionary<string, string>(), bouncer.LibpqConnection("orders")));
        Assert.Empty(setup.Warnings.Lines);
    }

    private static Process StartPgbench(ThrowawayPgBouncer bouncer, string script)
    {
        var startInfo = new ProcessStartInfo("pgbench") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
                 {
                     "-n", "-C", "-c", "4", "-j", "2", "-T", "10", "-f", script,
                     "-h", bouncer.Host, "-p", bouncer.Port.ToString(CultureInfo.InvariantCulture), "-U", "client", "orders",
                 })
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment.Remove("PGPASSWORD");
        return Process.Start(startInfo)!;
    }

    private static async Task<(int Exit, string Output)> FinishAsync(Process pgbench)
    {
        using (pgbench)
        {
            var stdout = pgbench.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            var stderr = pgbench.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await pgbench.WaitForExitAsync(TestContext.Current.CancellationToken);
            return (pgbench.ExitCode, await stdout + await stderr);
        }
    }
}

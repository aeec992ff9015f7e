using System.Diagnostics;
using System.Globalization;
using PgRotate.Local;
using PgRotate.Tests.Server;
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
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("read:orders/app", "rotate:orders/app");
        // Server connections live at most 1 s, so pgbouncer keeps logging in to PostgreSQL with whatever it was given.
        await using var bouncer = await ThrowawayPgBouncer.StartAsync(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var (log, errors) = (new LogLines(), new LogLines());
        var agent = AgentCommandTests.RunAgentAsync(server, token, log, errors, stop.Token, "--server", server.Address.ToString(),
            "--pgbouncer-databases", $"{RunningServer.Secret}:orders:{bouncer.DatabasesFile}", "--pgbouncer-pidfile", bouncer.PidFile);
        var credential = await ClientLogin.GetAsync(server.Sandbox, RunningServer.Secret);
        await ReloadedAfterAsync(log, credential.Version);
        Assert.Equal(credential.Username, await LibpqClient.SessionUserAsync(new Dictionary<string, string>(), bouncer.LibpqConnection("orders")));

        var script = Path.Combine(server.Sandbox.Directory, "select.sql");
        await File.WriteAllTextAsync(script, "SELECT session_user;\n", TestContext.Current.CancellationToken);
        // -C: a new connection to pgbouncer per transaction, 4 clients, long enough to outlast the rotations below.
        var pgbench = StartPgbench(bouncer, script);
        var logins = new HashSet<string>(StringComparer.Ordinal) { credential.Username };
        for (var rotation = 0; rotation < 5; rotation++)
        {
            // force: each rotation also ends the previous login's grace, so pgbouncer must already be on the login that
            // is current (the agent reloaded it) before the next one; as with a schedule whose grace ends at the next
            // rotation, only faster.
            using var rotated = await server.PostAsync($"/v1/secrets/{RunningServer.Secret}/rotate", token, """{"force": true}""");
            Assert.Equal(System.Net.HttpStatusCode.OK, rotated.StatusCode);
            var result = await RunningServer.JsonAsync(rotated);
            logins.Add(result.GetProperty("username").GetString()!);
            await ReloadedAfterAsync(log, result.GetProperty("version").GetInt32());
        }

        Assert.False(pgbench.HasExited, "pgbench ended before the rotations did; the test proved nothing");
        var (exit, output) = await FinishAsync(pgbench);
        var current = await ClientLogin.GetAsync(server.Sandbox, RunningServer.Secret);
        Assert.Equal(current.Username, await LibpqClient.SessionUserAsync(new Dictionary<string, string>(), bouncer.LibpqConnection("orders")));
        await stop.CancelAsync();
        Assert.Equal(0, await agent);

        Assert.True(exit == 0, output);
        Assert.Matches(@"number of failed transactions: 0 \(", output);
        Assert.Matches(@"number of transactions actually processed: [1-9]", output);
        Assert.Equal(2, logins.Count);
        Assert.Empty(errors.Lines);
    }

    /// <summary>The agent wrote <paramref name="version"/> into pgbouncer's file and then signalled pgbouncer.</summary>
    private static async Task ReloadedAfterAsync(LogLines log, int version)
    {
        var rendered = await log.WaitForAsync(l => l.Contains($"{RunningServer.Secret} version {version},", StringComparison.Ordinal));
        await log.WaitForAsync(l => l.StartsWith("reloaded pgbouncer", StringComparison.Ordinal) && log.Lines.SkipWhile(x => x != rendered).Contains(l));
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

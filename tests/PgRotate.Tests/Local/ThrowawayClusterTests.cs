using System.Diagnostics;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Npgsql;
using PgRotate.Crypto;
using PgRotate.Local;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Local;

public sealed partial class ThrowawayClusterTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Tcp_logins_need_the_password_and_use_scram()
    {
        var cluster = postgres.Cluster;
        await using (var connection = await cluster.OpenSuperuserConnectionAsync(cancellationToken: TestContext.Current.CancellationToken))
        await using (var command = new NpgsqlCommand("SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = current_user", connection))
        {
            Assert.True((bool)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!);
        }

        await using var wrong = new NpgsqlConnection(cluster.ConnectionString(user: ThrowawayCluster.SuperuserName, password: new SecretText("not-the-password")));
        var error = await Assert.ThrowsAsync<PostgresException>(() => wrong.OpenAsync(TestContext.Current.CancellationToken));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, error.SqlState);
    }

    [Fact]
    public async Task Every_statement_reaches_the_server_log()
    {
        var marker = Unique.Name("marker");
        await postgres.ExecuteAsync($"SELECT '{marker}'");
        Assert.Contains(marker, await postgres.Cluster.ReadServerLogAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Disposing_stops_the_server_and_removes_its_folder()
    {
        var cluster = await ThrowawayCluster.StartAsync(postgres.Cluster.Binaries.BinDir, TestContext.Current.CancellationToken);
        var folder = Path.GetDirectoryName(cluster.DataDirectory)!;
        var port = cluster.Port;
        Assert.True(Directory.Exists(folder));

        await cluster.DisposeAsync();

        Assert.False(Directory.Exists(folder));
        Assert.False(await AcceptsConnectionsAsync(port));
    }

    [Fact]
    public async Task A_killed_owner_process_leaves_no_server_and_no_folder_behind()
    {
        // 'pgrotate demo' owns a throwaway cluster; SIGKILL it once the cluster is up, as an interrupted test run would be.
        var startInfo = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "pgrotate.dll"), "demo", "--duration", "10m", "--workers", "1", "--pg-bindir", postgres.Cluster.Binaries.BinDir })
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var demo = Process.Start(startInfo)!;
        var port = 0;
        var folder = "";
        while (await demo.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
        {
            if (PortPattern().Match(line) is { Success: true } match)
            {
                port = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                folder = match.Groups[2].Value;
                break;
            }
        }

        Assert.True(port > 0, "the demo never reported its server");
        Assert.True(await AcceptsConnectionsAsync(port));
        Assert.True(Directory.Exists(folder));
        demo.Kill();
        await demo.WaitForExitAsync(TestContext.Current.CancellationToken);

        // The watchdog notices within about a second; allow up to 30 s on a loaded machine.
        var deadline = Stopwatch.StartNew();
        while ((await AcceptsConnectionsAsync(port) || Directory.Exists(folder)) && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(PollInterval, TestContext.Current.CancellationToken);
        }

        Assert.False(await AcceptsConnectionsAsync(port), "the server outlived the process that started it");
        Assert.False(Directory.Exists(folder), "the cluster's folder outlived the process that started it");
    }

    /// <summary>The watchdog is another process: there is no event to await, so its effect is polled for, within a deadline.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private static async Task<bool> AcceptsConnectionsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync("127.0.0.1", port, TestContext.Current.CancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"on 127\.0\.0\.1:(\d+) .*data in (\S+)$")]
    private static partial Regex PortPattern();
}

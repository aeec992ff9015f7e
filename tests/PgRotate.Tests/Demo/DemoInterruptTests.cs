using System.Diagnostics;
using System.Text.RegularExpressions;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Demo;

/// <summary>Ctrl-C (SIGINT) during the demo: it stops early, still prints its summary, and removes what it created.</summary>
public sealed partial class DemoInterruptTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Ctrl_C_stops_the_demo_early_prints_the_summary_and_leaves_no_cluster_folder_behind()
    {
        using var sandbox = new CliSandbox(postgres);
        using var process = Process.Start(CliProcess.StartInfo(sandbox, "demo", "--duration", "10m", "--workers", "1", "--pg-bindir", postgres.Cluster.Binaries.BinDir))!;
        process.StandardInput.Close();
        var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        var output = new List<string>();
        try
        {
            // The first progress line: consumers and rotations are running.
            while (await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
            {
                output.Add(line);
                if (ProgressLine().IsMatch(line))
                {
                    break;
                }
            }

            using (var interrupt = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await interrupt.WaitForExitAsync(TestContext.Current.CancellationToken);
            }

            output.Add(await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken));
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }

        var text = string.Join('\n', output);
        Assert.Matches(@"summary: alternating secret, client retry on, [0-9.]+ s \(interrupted\)", text);
        Assert.Contains("the pattern   current app_", text);
        Assert.True((await errors).Trim() == "pgrotate: cancelled (the summary above covers the time it ran)", await errors);
        Assert.Equal(130, process.ExitCode);
        var folder = ClusterFolder().Match(text).Groups["folder"].Value;
        Assert.NotEmpty(folder);
        Assert.False(Directory.Exists(folder), $"{folder} is still there");
    }

    [GeneratedRegex(@"^ +[0-9.]+s  rotations ")]
    private static partial Regex ProgressLine();

    [GeneratedRegex(@"data in (?<folder>\S+)$", RegexOptions.Multiline)]
    private static partial Regex ClusterFolder();
}

using System.Diagnostics;

namespace PgRotate.Tests.Agent;

/// <summary>Runs a libpq program (psql, pgbench) with the environment a rendered file is meant for, as a client would.</summary>
internal static class LibpqClient
{
    public sealed record Result(int ExitCode, string Out, string Error);

    public static async Task<Result> RunAsync(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var startInfo = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // Only what the test gives: nothing inherited may log the client in instead of the rendered file.
        foreach (var name in new[] { "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGSERVICE", "PGSERVICEFILE", "PGPASSFILE" })
        {
            startInfo.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            startInfo.Environment[name] = value;
        }

        using var process = Process.Start(startInfo)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>session_user as psql reports it after logging in with <paramref name="environment"/>.</summary>
    public static async Task<string> SessionUserAsync(IReadOnlyDictionary<string, string> environment, params string[] connection)
    {
        var result = await RunAsync("psql", [.. connection, "-X", "-A", "-t", "-c", "SELECT session_user"], environment);
        Assert.True(result.ExitCode == 0, $"psql failed: {result.Error}");
        return result.Out.Trim();
    }
}

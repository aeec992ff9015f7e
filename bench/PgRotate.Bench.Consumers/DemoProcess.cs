using System.Diagnostics;
using PgRotate.Contracts;

namespace PgRotate.Bench.Consumers;

/// <summary>The real <c>pgrotate demo --json</c> as a child process, its summary read from what it prints.</summary>
internal static class DemoProcess
{
    public static async Task<(DemoSummary Summary, int ExitCode, string Errors)> RunAsync(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "pgrotate.dll"));
        start.ArgumentList.Add("demo");
        start.ArgumentList.Add("--json");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var summary = PgRotateJson.Deserialize<DemoSummary>(await output)
            ?? throw new InvalidOperationException($"pgrotate demo printed no summary (exit {process.ExitCode}): {await errors}");
        return (summary, process.ExitCode, await errors);
    }
}

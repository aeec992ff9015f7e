using System.Diagnostics;
using PgRotate.Crypto;
using PgRotate.Errors;

namespace PgRotate.Local;

/// <summary>Runs a helper program (initdb, pg_ctl, chown) to completion and captures what it printed.</summary>
internal static class ExternalProcess
{
    public sealed record Result(int ExitCode, string Output);

    public static async Task<Result> RunAsync(string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        // Helpers (initdb, pg_ctl, the server they start) have no use for the master key; a child process's
        // environment can be read by others in more ways than ours (/proc/PID/environ of a server running as another
        // user, core dumps, its own children).
        startInfo.Environment.Remove(MasterKey.EnvironmentVariable);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)
            ?? throw new PgRotateException(ErrorCode.EnvironmentError, $"could not start {fileName}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new Result(process.ExitCode, (await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false)));
    }

    public static async Task<string> RunCheckedAsync(string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var args = arguments.ToList();
        var result = await RunAsync(fileName, args, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            var tail = string.Join(" / ", result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(3));
            throw new PgRotateException(ErrorCode.EnvironmentError,
                $"{Path.GetFileName(fileName)} {string.Join(' ', args.Take(2))} failed with exit code {result.ExitCode}: {tail}");
        }

        return result.Output;
    }
}

using System.Diagnostics;
using PgRotate.Cli;

namespace PgRotate.Tests.Support;

/// <summary>
/// The real CLI as a child process (<c>dotnet pgrotate.dll …</c> from the test's output folder), pointed at a sandbox's
/// store and key file, with standard input closed. Crash tests kill it with SIGKILL, the way the OOM killer or a
/// power cut would, which an in-process run cannot imitate: no finally block, no flush, no disposal runs.
/// </summary>
public sealed class CliProcess : IDisposable
{
    /// <summary>What <see cref="Process.ExitCode"/> reports for a process that died of SIGKILL (128 + 9).</summary>
    public const int KilledExitCode = 137;

    private readonly Process _process;
    private readonly Task<string> _out;
    private readonly Task<string> _error;

    private CliProcess(Process process)
    {
        _process = process;
        _process.StandardInput.Close();
        _out = _process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        _error = _process.StandardError.ReadToEndAsync(CancellationToken.None);
    }

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// How the real CLI is started for <paramref name="sandbox"/>: <c>dotnet pgrotate.dll</c> from the test's output
    /// folder, in the sandbox's folder, every stream redirected, its store and key from the sandbox only.
    /// </summary>
    public static ProcessStartInfo StartInfo(CliSandbox sandbox, params string[] args)
    {
        var startInfo = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = sandbox.Directory,
        };
        startInfo.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "pgrotate.dll"));
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        // Only the sandbox decides where the store and key are: nothing inherited from the developer's shell.
        foreach (var name in startInfo.Environment.Keys.Where(k => k.StartsWith("PGROTATE_", StringComparison.Ordinal)).ToList())
        {
            startInfo.Environment.Remove(name);
        }

        startInfo.Environment[CliContext.StoreVariable] = sandbox.StorePath;
        startInfo.Environment[CliContext.KeyFileVariable] = sandbox.KeyPath;
        foreach (var (name, value) in sandbox.Environment)
        {
            startInfo.Environment[name] = value;
        }

        return startInfo;
    }

    /// <summary>Starts <c>pgrotate <paramref name="args"/></c>; with <paramref name="killAfter"/> the child kills itself after that rotation step.</summary>
    public static CliProcess Start(CliSandbox sandbox, string? killAfter, params string[] args)
    {
        var startInfo = StartInfo(sandbox, args);
        if (killAfter is not null)
        {
            startInfo.Environment[FaultInjection.KillAfterVariable] = killAfter;
        }

        return new CliProcess(Process.Start(startInfo) ?? throw new InvalidOperationException("dotnet did not start"));
    }

    /// <summary>Runs <c>pgrotate <paramref name="args"/></c> to the end.</summary>
    public static async Task<CliRun> RunAsync(CliSandbox sandbox, string? killAfter, params string[] args)
    {
        using var process = Start(sandbox, killAfter, args);
        return await process.WaitAsync();
    }

    /// <summary>SIGKILL, unless it has already exited.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already exited: there is nothing left to kill.
        }
    }

    /// <summary>Waits for the process to end (at most a minute, then kills it) and returns its exit code and output.</summary>
    public async Task<CliRun> WaitAsync()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(1));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw;
        }

        return new CliRun(_process.ExitCode, await _out, await _error);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}

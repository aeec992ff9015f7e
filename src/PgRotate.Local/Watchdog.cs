using System.Diagnostics;
using PgRotate.Crypto;

namespace PgRotate.Local;

/// <summary>
/// Cleans up after a throwaway server once this process is gone, however it ends (SIGKILL included): a shell in its own
/// session waits for this process to disappear, then runs the cleanup. A test run interrupted half-way must not leave
/// servers behind. Killed (its job not needed) when the server is disposed normally.
/// </summary>
internal sealed class Watchdog : IDisposable
{
    private readonly Process? _process;

    private Watchdog(Process? process) => _process = process;

    public static Watchdog Start(string cleanup)
    {
        var script = $"exec </dev/null >/dev/null 2>&1; while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 1; done; {cleanup}";
        var startInfo = new ProcessStartInfo("setsid") { UseShellExecute = false };
        startInfo.Environment.Remove(MasterKey.EnvironmentVariable);
        foreach (var argument in new[] { "sh", "-c", script })
        {
            startInfo.ArgumentList.Add(argument);
        }

        return new Watchdog(Process.Start(startInfo));
    }

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
        }

        _process?.Dispose();
    }
}

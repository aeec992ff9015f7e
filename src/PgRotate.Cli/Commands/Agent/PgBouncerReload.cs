using System.Globalization;
using System.Runtime.InteropServices;

namespace PgRotate.Cli.Commands.Agent;

/// <summary>
/// Has pgbouncer read its configuration again after the agent rewrote its <c>[databases]</c> include: SIGHUP to the
/// process in pgbouncer's pid file, which is what the admin console's RELOAD does. A signal needs no admin login (no
/// second credential to keep, nothing that can be refused or time out) and pgbouncer acts on it at once; it needs the
/// agent to run on pgbouncer's machine as its OS user (or root), which is where the included file lives anyway. The
/// pid file is read again for each reload, so a restarted pgbouncer is found.
/// </summary>
internal sealed class PgBouncerReload(string pidFile, TextWriter warnings)
{
    private const int SignalHangUp = 1;

    public string PidFile => pidFile;

    /// <summary>True when the signal was delivered; otherwise says why on stderr (a pgbouncer that starts later reads the file anyway).</summary>
    public async Task<bool> ReloadAsync(CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = (await File.ReadAllTextAsync(pidFile, cancellationToken)).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await warnings.WriteLineAsync($"pgrotate: warning: cannot read pgbouncer's pid file {pidFile} ({e.Message}); pgbouncer was not reloaded");
            return false;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 1)
        {
            await warnings.WriteLineAsync($"pgrotate: warning: pgbouncer's pid file {pidFile} holds no process id; pgbouncer was not reloaded");
            return false;
        }

        if (Kill(pid, SignalHangUp) != 0)
        {
            await warnings.WriteLineAsync(
                $"pgrotate: warning: could not signal pgbouncer (pid {pid} from {pidFile}): {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}; pgbouncer was not reloaded");
            return false;
        }

        return true;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
}

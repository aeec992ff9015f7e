using System.Diagnostics;
using System.Globalization;
using PgRotate.Contracts;
using PgRotate.Crypto;

namespace PgRotate.Cli.Commands.Agent;

/// <summary>
/// <c>--exec "CMD"</c>: a shell command run after a change was written (to signal an application, say). It learns
/// which secret changed from its environment (PGROTATE_SECRET, PGROTATE_VERSION, PGROTATE_USERNAME), never the
/// password, which is in the files; the agent's token is taken out of its environment. A failing command is reported
/// and the agent goes on: the files are already current.
/// </summary>
internal sealed class ExecHook(string command, TextWriter warnings)
{
    public const string TokenVariable = "PGROTATE_TOKEN";

    public async Task RunAsync(Credential credential, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add(command);
        startInfo.Environment.Remove(TokenVariable);
        startInfo.Environment.Remove(MasterKey.EnvironmentVariable);
        startInfo.Environment["PGROTATE_SECRET"] = credential.Name;
        startInfo.Environment["PGROTATE_VERSION"] = credential.Version.ToString(CultureInfo.InvariantCulture);
        startInfo.Environment["PGROTATE_USERNAME"] = credential.Username;
        var after = $"after {credential.Name} version {credential.Version}";
        try
        {
            using var process = Process.Start(startInfo)!;
            try
            {
                await process.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Stopping the agent stops the command too, rather than leaving it behind.
                process.Kill(entireProcessTree: true);
                throw;
            }

            if (process.ExitCode != 0)
            {
                await warnings.WriteLineAsync($"pgrotate: warning: --exec exited with {process.ExitCode} {after}; the files are written, the agent goes on");
            }
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            await warnings.WriteLineAsync($"pgrotate: warning: --exec could not start {after}: {e.Message}");
        }
    }
}

using PgRotate.Errors;

namespace PgRotate.Cli.Commands.Agent;

/// <summary>
/// Writes a credential file so that a reader sees the old content or the new one, never a mix, and never a moment
/// when the file is missing or readable by others: a temporary file in the same folder (created 0600, so the password
/// is never on disk with wider rights), flushed to disk, then renamed over the target.
/// </summary>
internal static class AtomicFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// Refuses, at start, a path the agent could not write later: a missing folder, a folder, a folder it may not
    /// create files in. Finding out only at the first rotation would leave clients on a credential about to expire.
    /// </summary>
    public static void EnsureWritable(string path)
    {
        var folder = Path.GetDirectoryName(path);
        if (Directory.Exists(path))
        {
            throw PgRotateException.InvalidInput($"cannot render to {path}: it is a folder; give a file path");
        }

        if (folder is null || !Directory.Exists(folder))
        {
            throw PgRotateException.InvalidInput($"cannot render to {path}: the folder {folder} does not exist");
        }

        // The same operation the writes make (create a file in the folder), so a read-only mount, missing rights or an
        // immutable folder are found now.
        var probe = TemporaryPath(path);
        try
        {
            using (new FileStream(probe, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnly }))
            {
            }

            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw PgRotateException.InvalidInput($"cannot render to {path}: the folder {folder} is not writable ({e.Message})");
        }
    }

    /// <summary>Replaces <paramref name="path"/> with <paramref name="content"/> unless it already holds exactly that; true when written.</summary>
    public static async Task<bool> WriteIfChangedAsync(string path, string content, CancellationToken cancellationToken)
    {
        if (File.Exists(path) && await File.ReadAllTextAsync(path, cancellationToken) == content && (File.GetUnixFileMode(path) & ~OwnerOnly) == 0)
        {
            return false;
        }

        var temporary = TemporaryPath(path);
        try
        {
            var stream = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnly });
            await using (stream)
            {
                await using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
                await writer.WriteAsync(content.AsMemory(), cancellationToken);
                await writer.FlushAsync(cancellationToken);
                // On disk before the rename: after a power cut the target is the old file or the complete new one.
                stream.Flush(flushToDisk: true);
            }

            if (Environment.IsPrivilegedProcess && File.Exists(path))
            {
                await KeepOwnerAsync(path, temporary, cancellationToken);
            }

            File.Move(temporary, path, overwrite: true);
            return true;
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>
    /// An agent running as root keeps the owner and group of the file it replaces, so the program reading it (pgbouncer,
    /// an application running as its own user) can still read the 0600 file: create it once with the right owner and
    /// the agent keeps it so. .NET has no call for a file's owner; coreutils' chown copies it.
    /// </summary>
    private static async Task KeepOwnerAsync(string path, string temporary, CancellationToken cancellationToken)
    {
        var startInfo = new System.Diagnostics.ProcessStartInfo("chown") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var argument in new[] { "--reference=" + path, "--", temporary })
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(startInfo)!;
        var error = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new IOException($"could not give the new file the owner of {path}: {CliApp.OneLine(error)}");
        }
    }

    /// <summary>Beside the target (a rename is atomic only within one file system), hidden, and unique to this write.</summary>
    private static string TemporaryPath(string path) =>
        Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.pgrotate-{Guid.NewGuid():N}");
}

namespace PgRotate.Local;

/// <summary>
/// The OS user the throwaway servers run as when pgrotate runs as root: PostgreSQL and pgbouncer both refuse to run as
/// root. Without root they run as whoever runs pgrotate.
/// </summary>
internal sealed class ServiceUser(bool switchUser)
{
    public const string Name = "postgres";

    public static ServiceUser ForThisProcess() => new(Environment.IsPrivilegedProcess);

    public bool Switches => switchUser;

    public Task<ExternalProcess.Result> RunAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        switchUser
            ? ExternalProcess.RunAsync("runuser", ["-u", Name, "--", program, .. arguments], cancellationToken)
            : ExternalProcess.RunAsync(program, arguments, cancellationToken);

    /// <summary>A shell command line running <paramref name="command"/> as this user (for the watchdog's script).</summary>
    public string ShellCommand(string command) => switchUser ? $"runuser -u {Name} -- {command}" : command;

    /// <summary>Gives <paramref name="paths"/> to the service user, so the server can read and write them.</summary>
    public async Task TakeOverAsync(IEnumerable<string> paths, bool recursive, CancellationToken cancellationToken)
    {
        if (switchUser)
        {
            await ExternalProcess.RunCheckedAsync("chown", [.. recursive ? ["-R"] : Array.Empty<string>(), $"{Name}:", .. paths], cancellationToken).ConfigureAwait(false);
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PgRotate.Errors;

namespace PgRotate.Local;

/// <summary>
/// A disposable pgbouncer (Debian's package) in a temporary folder, listening on a free port of 127.0.0.1, whose
/// <c>[databases]</c> come from an included file (<see cref="DatabasesFile"/>) that the agent keeps current. Clients
/// log in with any user name and no password (<c>auth_type = any</c>): pgbouncer connects to PostgreSQL as the user
/// and password of the database line, which is what is under test. Session pooling unless asked for transaction
/// pooling; server connections are recycled after their lifetime, so a long run keeps opening new ones with whatever
/// login is current. Its log (<see cref="LogFile"/>) has a line for each server connection it opens. As root it runs as
/// the <c>postgres</c> OS user (pgbouncer refuses to run as root), and the included file belongs to that user, so an
/// agent running as root that keeps the file's owner writes a file pgbouncer can read. Stopped and removed on dispose,
/// and by a watchdog when the owning process dies without disposing.
/// </summary>
public sealed class ThrowawayPgBouncer : IAsyncDisposable
{
    public const string ProgramVariable = "PGROTATE_PGBOUNCER";

    private readonly string _root;
    private readonly ServiceUser _serviceUser = ServiceUser.ForThisProcess();
    private Watchdog? _watchdog;
    private bool _disposed;

    private ThrowawayPgBouncer(string program, string root)
    {
        Program = program;
        _root = root;
    }

    public string Program { get; }
    public string Host => "127.0.0.1";
    public int Port { get; private set; }
    public string DatabasesFile => Path.Combine(_root, "databases.ini");
    public string PidFile => Path.Combine(_root, "pgbouncer.pid");
    public string LogFile => Path.Combine(_root, "pgbouncer.log");
    private string ConfigFile => Path.Combine(_root, "pgbouncer.ini");

    /// <param name="serverLifetime">pgbouncer's server_lifetime: how long a server connection is reused before it is closed.</param>
    public static Task<ThrowawayPgBouncer> StartAsync(TimeSpan serverLifetime, CancellationToken cancellationToken = default) =>
        StartAsync(new ThrowawayPgBouncerOptions(serverLifetime), cancellationToken);

    public static async Task<ThrowawayPgBouncer> StartAsync(ThrowawayPgBouncerOptions options, CancellationToken cancellationToken = default)
    {
        var program = options.Program ?? FindProgram(Environment.GetEnvironmentVariable)
            ?? throw new PgRotateException(ErrorCode.EnvironmentError, NotInstalled);
        string root;
        if (options.ParentDirectory is { } parent)
        {
            root = Path.Combine(parent, "pgbouncer");
            Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        else
        {
            root = Directory.CreateTempSubdirectory("pgrotate-pgbouncer-").FullName;
        }

        var bouncer = new ThrowawayPgBouncer(program, root);
        try
        {
            await bouncer.StartServerAsync(options, cancellationToken).ConfigureAwait(false);
            return bouncer;
        }
        catch
        {
            await bouncer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Why no pgbouncer can be started, and what to do about it.</summary>
    public static string NotInstalled => $"pgbouncer is not installed (apt-get install pgbouncer), or set {ProgramVariable} to its program";

    /// <summary>
    /// The pgbouncer program: the one <see cref="ProgramVariable"/> names (null when that file does not exist), else
    /// Debian's; null when there is none.
    /// </summary>
    public static string? FindProgram(Func<string, string?> environment) =>
        environment(ProgramVariable) is { Length: > 0 } named
            ? File.Exists(named) ? named : null
            : new[] { "/usr/sbin/pgbouncer", "/usr/bin/pgbouncer" }.FirstOrDefault(File.Exists);

    /// <summary>A libpq connection string to database <paramref name="alias"/> through pgbouncer.</summary>
    public string LibpqConnection(string alias) => $"host={Host} port={Port.ToString(CultureInfo.InvariantCulture)} dbname={alias} user=client sslmode=disable";

    private async Task StartServerAsync(ThrowawayPgBouncerOptions options, CancellationToken cancellationToken)
    {
        await WriteOwnedFileAsync(DatabasesFile, "[databases]\n", cancellationToken).ConfigureAwait(false);
        await _serviceUser.TakeOverAsync([_root], recursive: true, cancellationToken).ConfigureAwait(false);
        // Stops pgbouncer and removes the folder once this process is gone, however it ends.
        _watchdog = Watchdog.Start($"[ -f '{PidFile}' ] && kill -TERM \"$(cat '{PidFile}')\"; rm -rf '{_root}'");
        // A port found free can be taken before pgbouncer binds it; try a few.
        for (var attempt = 1; ; attempt++)
        {
            Port = LoopbackPort.FindFree();
            var settings =
                $"""
                 [databases]
                 %include {DatabasesFile}

                 [pgbouncer]
                 listen_addr = {Host}
                 listen_port = {Port.ToString(CultureInfo.InvariantCulture)}
                 unix_socket_dir =
                 auth_type = any
                 pool_mode = {(options.TransactionPooling ? "transaction" : "session")}
                 server_lifetime = {((int)Math.Ceiling(options.ServerLifetime.TotalSeconds)).ToString(CultureInfo.InvariantCulture)}
                 server_login_retry = 1
                 max_client_conn = 200
                 default_pool_size = 20
                 pidfile = {PidFile}
                 logfile = {LogFile}

                 """;
            await WriteOwnedFileAsync(ConfigFile, settings, cancellationToken).ConfigureAwait(false);
            var result = await _serviceUser.RunAsync(Program, ["-d", "-q", ConfigFile], cancellationToken).ConfigureAwait(false);
            if (result.ExitCode == 0 && await AcceptsConnectionsAsync(cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            if (attempt == 5)
            {
                throw new PgRotateException(ErrorCode.EnvironmentError, $"the throwaway pgbouncer did not start: {result.Output.Trim()} {await LastLogLinesAsync(cancellationToken).ConfigureAwait(false)}");
            }
        }
    }

    /// <summary>pgbouncer writes its pid file once it listens; with -d the starting process may return just before.</summary>
    private async Task<bool> AcceptsConnectionsAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port, cancellationToken).ConfigureAwait(false);
                return File.Exists(PidFile);
            }
            catch (SocketException)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
        }

        return false;
    }

    private async Task<string> LastLogLinesAsync(CancellationToken cancellationToken) =>
        File.Exists(LogFile)
            ? string.Join(" / ", (await File.ReadAllLinesAsync(LogFile, cancellationToken).ConfigureAwait(false)).TakeLast(3))
            : "";

    private async Task WriteOwnedFileAsync(string path, string content, CancellationToken cancellationToken)
    {
        await File.WriteAllTextAsync(path, content, cancellationToken).ConfigureAwait(false);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await _serviceUser.TakeOverAsync([path], recursive: false, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (File.Exists(PidFile) && int.TryParse((await File.ReadAllTextAsync(PidFile).ConfigureAwait(false)).Trim(), CultureInfo.InvariantCulture, out var pid))
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                // SIGKILL: nothing of a throwaway pgbouncer needs a clean shutdown.
                process.Kill();
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
        }

        _watchdog?.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

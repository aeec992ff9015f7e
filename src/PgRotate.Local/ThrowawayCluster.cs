using System.Globalization;
using Npgsql;
using PgRotate.Crypto;
using PgRotate.Errors;

namespace PgRotate.Local;

/// <summary>
/// A disposable PostgreSQL server in a temporary folder, on a free port of 127.0.0.1, with <c>scram-sha-256</c> for
/// TCP logins and <c>log_statement=all</c> (so a test can search the server log for a leaked secret). Used by the tests
/// and by <c>pgrotate demo</c>. It is stopped and its folder removed on dispose, and also when the owning process
/// dies without disposing (a watchdog process waits for it), so an interrupted test run leaves nothing running.
/// As root, the server runs as the <c>postgres</c> OS user, since PostgreSQL refuses to run as root.
/// </summary>
public sealed class ThrowawayCluster : IAsyncDisposable
{
    public const string SuperuserName = "postgres";

    private readonly string _root;
    private readonly ServiceUser _serviceUser;
    private Watchdog? _watchdog;
    private bool _disposed;

    private readonly ThrowawayClusterOptions _options;

    private ThrowawayCluster(PostgresBinaries binaries, string root, bool runAsServiceUser, SecretText superuserPassword, ThrowawayClusterOptions options)
    {
        Binaries = binaries;
        _root = root;
        _serviceUser = new ServiceUser(runAsServiceUser);
        SuperuserPassword = superuserPassword;
        _options = options;
    }

    public PostgresBinaries Binaries { get; }
    internal int MajorVersion => Binaries.MajorVersion;
    public string Host => "127.0.0.1";
    public int Port { get; private set; }
    public SecretText SuperuserPassword { get; }
    public string DataDirectory => Path.Combine(_root, "data");
    internal string LogFile => Path.Combine(_root, "server.log");

    /// <summary>
    /// A folder for the owner's own throwaway files (a demo store, say), removed with the cluster: also by the
    /// watchdog when the owner is killed.
    /// </summary>
    public string ScratchDirectory => Directory.CreateDirectory(Path.Combine(_root, "scratch")).FullName;
    private string SocketDirectory => Path.Combine(_root, "socket");

    public static Task<ThrowawayCluster> StartAsync(string? binDir = null, CancellationToken cancellationToken = default) =>
        StartAsync(binDir, new ThrowawayClusterOptions(), cancellationToken);

    internal static async Task<ThrowawayCluster> StartAsync(string? binDir, ThrowawayClusterOptions options, CancellationToken cancellationToken = default)
    {
        var binaries = await PostgresBinaries.LocateAsync(binDir, cancellationToken).ConfigureAwait(false);
        var root = Directory.CreateTempSubdirectory("pgrotate-pg-").FullName;
        var cluster = new ThrowawayCluster(binaries, root, Environment.IsPrivilegedProcess, PasswordGenerator.Generate(), options);
        try
        {
            await cluster.InitializeAsync(cancellationToken).ConfigureAwait(false);
            cluster.StartWatchdog();
            await cluster.StartServerAsync(cancellationToken).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A connection string for <paramref name="user"/> (the superuser by default) over TCP.</summary>
    public string ConnectionString(string database = "postgres", string? user = null, SecretText? password = null)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = Port,
            Database = database,
            Username = user ?? SuperuserName,
            Password = (password ?? (user is null ? SuperuserPassword : null))?.Reveal(),
            Pooling = false,
        };
        return builder.ConnectionString;
    }

    /// <summary>This server as a pgrotate target, administered by its superuser.</summary>
    public Targets.Target AsTarget(string name)
    {
        var (connectionString, username, _) = Targets.AdminConnection.Parse($"Host={Host};Port={Port};Database=postgres;Username={SuperuserName}");
        return new Targets.Target(name, connectionString, username, SuperuserPassword);
    }

    public async Task<NpgsqlConnection> OpenSuperuserConnectionAsync(string database = "postgres", CancellationToken cancellationToken = default)
    {
        var connection = new NpgsqlConnection(ConnectionString(database));
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    /// <summary>
    /// Creates a login role for a tool running beside the cluster (a store, a benchmark's client). The server is given
    /// the password's SCRAM verifier, never the password, so it stays out of the statement log (log_statement=all).
    /// </summary>
    public async Task CreateLoginRoleAsync(string role, SecretText password, CancellationToken cancellationToken = default)
    {
        var verifier = Postgres.ScramVerifier.Create(password);
        var connection = await OpenSuperuserConnectionAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        // CREATE ROLE takes no parameters: the name is quoted as an identifier, the verifier (base64, '$' and ':') as a literal.
        var create = new NpgsqlCommand($"CREATE ROLE \"{role.Replace("\"", "\"\"", StringComparison.Ordinal)}\" LOGIN PASSWORD '{verifier.Replace("'", "''", StringComparison.Ordinal)}'", connection);
        await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<string> ReadServerLogAsync(CancellationToken cancellationToken = default)
    {
        using var reader = OpenServerLog();
        return await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The server log for reading while the server writes it. With <c>log_statement=all</c> a long run under load logs
    /// gigabytes: read it line by line rather than into one string.
    /// </summary>
    public StreamReader OpenServerLog() =>
        new(new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));

    /// <summary>Stops the server (fast shutdown: sessions are terminated) and keeps the data folder.</summary>
    internal Task StopAsync(CancellationToken cancellationToken = default) =>
        RunAsServiceUserAsync(Binaries.Program("pg_ctl"), ["stop", "-D", DataDirectory, "-m", "fast", "-w"], cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken = default) => StartServerAsync(cancellationToken);

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(SocketDirectory);
        var passwordFile = Path.Combine(_root, "pwfile");
        await File.WriteAllTextAsync(passwordFile, SuperuserPassword.Reveal() + "\n", cancellationToken).ConfigureAwait(false);
        File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await _serviceUser.TakeOverAsync([_root], recursive: true, cancellationToken).ConfigureAwait(false);

        try
        {
            await RunAsServiceUserAsync(Binaries.Program("initdb"),
            [
                "-D", DataDirectory, "-U", SuperuserName, "--pwfile", passwordFile, "--no-sync",
                "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C",
            ], cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(passwordFile);
        }

        var preload = File.Exists(Path.Combine(Path.GetDirectoryName(Binaries.BinDir)!, "lib", "pg_stat_statements.so"))
            ? "shared_preload_libraries = 'pg_stat_statements'\n"
            : "";
        var settings =
            $"""

             # throwaway cluster settings written by pgrotate
             listen_addresses = '127.0.0.1'
             unix_socket_directories = '{SocketDirectory}'
             password_encryption = 'scram-sha-256'
             log_statement = 'all'
             log_line_prefix = '%m [%p] %u@%d '
             fsync = off
             synchronous_commit = off
             full_page_writes = off
             max_connections = 300
             {preload}
             """;
        if (_options.Tls is { } tls)
        {
            settings += await WriteTlsFilesAsync(tls, cancellationToken).ConfigureAwait(false);
        }

        await File.AppendAllTextAsync(Path.Combine(DataDirectory, "postgresql.conf"), settings, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Puts the server's certificate and key in the data folder, readable only by the server's OS user (PostgreSQL
    /// refuses a key others can read), and returns the settings that turn TLS on.
    /// </summary>
    private async Task<string> WriteTlsFilesAsync(ThrowawayClusterTls tls, CancellationToken cancellationToken)
    {
        var certificate = Path.Combine(DataDirectory, "server.crt");
        var key = Path.Combine(DataDirectory, "server.key");
        await File.WriteAllTextAsync(certificate, tls.CertificatePem, cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(key, "", cancellationToken).ConfigureAwait(false);
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await File.WriteAllTextAsync(key, tls.PrivateKeyPem.Reveal(), cancellationToken).ConfigureAwait(false);
        await _serviceUser.TakeOverAsync([certificate, key], recursive: false, cancellationToken).ConfigureAwait(false);

        return """
               ssl = on
               ssl_cert_file = 'server.crt'
               ssl_key_file = 'server.key'

               """;
    }

    private async Task StartServerAsync(CancellationToken cancellationToken)
    {
        // A port found free can be taken before the server binds it; try a few.
        for (var attempt = 1; ; attempt++)
        {
            if (Port == 0 || attempt > 1)
            {
                Port = LoopbackPort.FindFree();
            }

            var result = await RunProcessAsync(Binaries.Program("pg_ctl"),
                ["start", "-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "-o", $"-p {Port.ToString(CultureInfo.InvariantCulture)}"],
                cancellationToken).ConfigureAwait(false);
            if (result.ExitCode == 0)
            {
                return;
            }

            if (attempt == 5)
            {
                var log = File.Exists(LogFile) ? await ReadServerLogAsync(cancellationToken).ConfigureAwait(false) : "";
                var lastLines = string.Join(" / ", log.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(3));
                throw new PgRotateException(ErrorCode.EnvironmentError, $"the throwaway PostgreSQL server did not start: {lastLines}");
            }
        }
    }

    /// <summary>Stops the server and removes the folder once this process is gone, however it ends.</summary>
    private void StartWatchdog() =>
        _watchdog = Watchdog.Start($"{_serviceUser.ShellCommand($"'{Binaries.Program("pg_ctl")}' stop -D '{DataDirectory}' -m immediate")}; rm -rf '{_root}'");

    private async Task RunAsServiceUserAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var result = await RunProcessAsync(program, arguments, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            var tail = string.Join(" / ", result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(3));
            throw new PgRotateException(ErrorCode.EnvironmentError, $"{Path.GetFileName(program)} {arguments[0]} failed: {tail}");
        }
    }

    private Task<ExternalProcess.Result> RunProcessAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        _serviceUser.RunAsync(program, arguments, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            await RunProcessAsync(Binaries.Program("pg_ctl"), ["stop", "-D", DataDirectory, "-m", "immediate", "-w"], CancellationToken.None).ConfigureAwait(false);
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

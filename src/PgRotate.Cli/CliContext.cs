using System.CommandLine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Store;

namespace PgRotate.Cli;

/// <summary>One command invocation: the host, the parsed global options, and the store and key they point at.</summary>
public sealed class CliContext(CliHost host, GlobalOptions options, ParseResult parse) : IAsyncDisposable
{
    public const string StoreVariable = "PGROTATE_STORE";
    public const string KeyFileVariable = "PGROTATE_KEY_FILE";

    private MasterKey? _key;
    private ISecretStore? _store;

    public CliHost Host => host;
    public TextWriter Out => host.Out;
    public bool Json => parse.GetValue(options.Json);
    public TimeProvider Time => host.Time;

    /// <summary>Who the history records as acting: the command line and the OS user running it.</summary>
    public static string Actor => "cli:" + System.Environment.UserName;

    public TargetConnector Connector { get; } = new();

    /// <summary>Log messages go to stderr under --verbose; otherwise the command's own output says what happened.</summary>
    public ILoggerFactory Logging { get; } = parse.GetValue(options.Verbose)
        ? LoggerFactory.Create(builder => builder.AddSimpleConsole(console => console.SingleLine = true)
            .AddFilter(level => level >= LogLevel.Information))
        : NullLoggerFactory.Instance;

    /// <summary>What --store / $PGROTATE_STORE names (default ./pgrotate.db); a file path is made absolute.</summary>
    public StoreLocation Store
    {
        get
        {
            var location = StoreLocation.Parse(parse.GetValue(options.Store) ?? host.Environment(StoreVariable) ?? "pgrotate.db");
            return location.Kind == StoreKind.Sqlite ? location with { Value = host.ResolvePath(location.Value) } : location;
        }
    }

    /// <summary>
    /// --key-file / $PGROTATE_KEY_FILE, else the store file's path + ".key". A store in a database has no file to sit
    /// beside, so there the key file must be named (or the key given in $PGROTATE_MASTER_KEY).
    /// </summary>
    public string KeyFilePath
    {
        get
        {
            if ((parse.GetValue(options.KeyFile) ?? host.Environment(KeyFileVariable)) is { } named)
            {
                return host.ResolvePath(named);
            }

            var store = Store;
            return store.Kind == StoreKind.Sqlite
                ? store.Value + ".key"
                : throw new PgRotateException(ErrorCode.MasterKeyMissing,
                    $"a store in PostgreSQL has no default key file: give --key-file or {KeyFileVariable}, or the key itself in {MasterKey.EnvironmentVariable}");
        }
    }

    /// <summary>The master key from $PGROTATE_MASTER_KEY, else from the key file, or null when neither exists.</summary>
    public async Task<MasterKey?> FindKeyAsync(CancellationToken cancellationToken)
    {
        if (_key is not null)
        {
            return _key;
        }

        var fromEnvironment = host.Environment(MasterKey.EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return _key = MasterKey.FromBase64(fromEnvironment);
        }

        if (!File.Exists(KeyFilePath))
        {
            return null;
        }

        _key = await MasterKey.ReadFileAsync(KeyFilePath, cancellationToken);
        await WarnIfKeyFileIsReadableByOthersAsync();
        return _key;
    }

    /// <summary>A warning, not a refusal: the key may already have leaked, and refusing would also stop the rotation that
    /// replaces what it protects. The command goes on.</summary>
    private async Task WarnIfKeyFileIsReadableByOthersAsync()
    {
        const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
        var mode = File.GetUnixFileMode(KeyFilePath);
        if ((mode & others) != 0)
        {
            await host.Error.WriteLineAsync(
                $"pgrotate: warning: the master key file {KeyFilePath} is readable or writable by group or others (mode {Convert.ToString((int)mode, 8).PadLeft(4, '0')}); run 'chmod 600 {KeyFilePath}'");
        }
    }

    /// <summary>Opens the store --store names (once per invocation; closed with the context).</summary>
    public async Task<ISecretStore> OpenStoreAsync(CancellationToken cancellationToken)
    {
        if (_store is not null)
        {
            return _store;
        }

        var location = Store;
        var provider = StoreProviders.For(location, host.Environment);
        // Report a missing store before a missing key: it is the more likely mistake.
        await provider.EnsureExistsAsync(location, cancellationToken);
        var key = await FindKeyAsync(cancellationToken) ?? await MasterKey.ReadFileAsync(KeyFilePath, cancellationToken);
        _store = await provider.OpenAsync(location, key, Time, Actor, cancellationToken);
        return _store;
    }

    /// <summary><c>init</c>: creates the store --store names with <paramref name="key"/>; closed with the context.</summary>
    public async Task<ISecretStore> CreateStoreAsync(MasterKey key, CancellationToken cancellationToken)
    {
        var location = Store;
        _store = await StoreProviders.For(location, host.Environment).CreateAsync(location, key, Time, Actor, cancellationToken);
        return _store;
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        await Connector.DisposeAsync();
        Logging.Dispose();
        _key?.Dispose();
    }
}

using System.CommandLine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PgRotate.Crypto;
using PgRotate.Postgres;
using PgRotate.Store;

namespace PgRotate.Cli;

/// <summary>One command invocation: the host, the parsed global options, and the store and key they point at.</summary>
public sealed class CliContext(CliHost host, GlobalOptions options, ParseResult parse) : IAsyncDisposable
{
    public const string StoreVariable = "PGROTATE_STORE";
    public const string KeyFileVariable = "PGROTATE_KEY_FILE";

    private MasterKey? _key;

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

    public string StorePath => host.ResolvePath(parse.GetValue(options.Store) ?? host.Environment(StoreVariable) ?? "pgrotate.db");

    public string KeyFilePath => host.ResolvePath(parse.GetValue(options.KeyFile) ?? host.Environment(KeyFileVariable) ?? StorePath + ".key");

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

    public async Task<SqliteStore> OpenStoreAsync(CancellationToken cancellationToken)
    {
        // Report a missing store before a missing key: it is the more likely mistake.
        SqliteStore.EnsureExists(StorePath);
        var key = await FindKeyAsync(cancellationToken) ?? await MasterKey.ReadFileAsync(KeyFilePath, cancellationToken);
        var store = await SqliteStore.OpenAsync(StorePath, key, Time, cancellationToken);
        store.Actor = Actor;
        return store;
    }

    public async ValueTask DisposeAsync()
    {
        await Connector.DisposeAsync();
        Logging.Dispose();
        _key?.Dispose();
    }
}

using Microsoft.Extensions.Configuration;
using Npgsql;
using PgRotate.Contracts;

namespace PgRotate.Client;

/// <summary>
/// A secret's current credential as configuration keys, kept current by a <see cref="CredentialWatcher"/>: each
/// rotation replaces the keys and fires the reload token, so bound options and <c>IOptionsMonitor</c> see it.
/// </summary>
public sealed class PgRotateConfigurationProvider : ConfigurationProvider, IDisposable
{
    private readonly PgRotateClientOptions _options;
    private readonly TimeProvider _time;
    private PgRotateApiClient? _api;
    private CredentialWatcher? _watcher;

    public PgRotateConfigurationProvider(PgRotateClientOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time;
    }

    private string Secret => _options.Secret!;

    /// <summary>
    /// Fetches the credential and starts following it. Configuration is loaded synchronously while the application
    /// is built, so the first fetch is waited for here, once; a later Load (a reload) changes nothing.
    /// </summary>
    public override void Load()
    {
        if (_watcher is not null)
        {
            return;
        }

        _api = PgRotateApiClient.CreateAsync(_options, _time).GetAwaiter().GetResult();
        _watcher = CredentialWatcher.StartAsync(_api, Secret, _options.WatcherSettings, null, _time).GetAwaiter().GetResult();
        _watcher.Changed += OnChanged;
        Data = KeysOf(_watcher.Current);
    }

    public void Dispose()
    {
        if (_watcher is not null)
        {
            _watcher.Changed -= OnChanged;
            _watcher.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        _api?.Dispose();
    }

    private void OnChanged(Credential credential)
    {
        Data = KeysOf(credential);
        OnReload();
    }

    private Dictionary<string, string?> KeysOf(Credential credential)
    {
        var connection = new NpgsqlConnectionStringBuilder();
        CredentialConnection.Apply(credential, connection);
        connection.Password = credential.Password;
        var prefix = ConfigurationPath.Combine("PgRotate", Secret);
        return new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            [ConfigurationPath.Combine("ConnectionStrings", Secret)] = connection.ConnectionString,
            [ConfigurationPath.Combine(prefix, "Username")] = credential.Username,
            [ConfigurationPath.Combine(prefix, "Password")] = credential.Password,
            [ConfigurationPath.Combine(prefix, "Host")] = credential.Host,
            [ConfigurationPath.Combine(prefix, "Port")] = credential.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [ConfigurationPath.Combine(prefix, "Database")] = credential.Database,
            [ConfigurationPath.Combine(prefix, "Version")] = credential.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [ConfigurationPath.Combine(prefix, "SslMode")] = credential.SslMode,
            [ConfigurationPath.Combine(prefix, "SslRootCert")] = credential.SslRootCert,
            [ConfigurationPath.Combine(prefix, "ChannelBinding")] = credential.ChannelBinding,
        };
    }
}

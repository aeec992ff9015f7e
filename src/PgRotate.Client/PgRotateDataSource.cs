using System.Data.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PgRotate.Contracts;

namespace PgRotate.Client;

/// <summary>
/// A <see cref="DbDataSource"/> that always opens connections with the current credential of one pgrotate secret.
/// It holds one inner <see cref="NpgsqlDataSource"/> per login: when a rotation switches the login (alternating:
/// app_a → app_b) new opens go to a new inner source for the new login and the old one is disposed once its
/// connections are back; when only the password changes (a single secret) the inner source keeps its pool and uses
/// the new password for its next physical connection. An open through this data source
/// (<see cref="OpenConnectionAsync"/>, <see cref="OpenConnection"/>) that PostgreSQL refuses for its credential
/// (28P01, 28000) fetches a fresh credential and is retried once; a connection from <see cref="CreateConnection"/>
/// opened by its caller (as EF Core does) gets the current login but no retry.
/// </summary>
public sealed class PgRotateDataSource : DbDataSource
{
    /// <summary>How long a retired login's pool may wait for its connections to come back before it is disposed anyway.</summary>
    public static readonly TimeSpan RetiredPoolBound = TimeSpan.FromMinutes(5);

    /// <summary>After a refused login, how long an open waits for a newer credential when the server has none yet.</summary>
    public static readonly TimeSpan AuthenticationRetryWait = TimeSpan.FromSeconds(5);

    private readonly PgRotateClientOptions _options;
    private readonly PgRotateApiClient _api;
    private readonly CredentialWatcher _watcher;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly List<(LoginSource Source, Task Disposed)> _retiring = [];
    private LoginSource _current;
    private bool _disposed;

    private PgRotateDataSource(PgRotateClientOptions options, PgRotateApiClient api, CredentialWatcher watcher, ILoggerFactory? loggerFactory, TimeProvider time)
    {
        _options = options;
        _api = api;
        _watcher = watcher;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory?.CreateLogger<PgRotateDataSource>() ?? (ILogger)NullLogger.Instance;
        _time = time;
        _current = new LoginSource(_watcher.Current, _options.ConfigureDataSource, _loggerFactory);
        _watcher.Changed += Apply;
        // A change between the first read and the subscription is applied now; one after it came through Apply.
        // (Never holding this lock while asking the watcher: the watcher calls Apply under its own lock.)
        var latest = _watcher.Current;
        lock (_gate)
        {
            if (latest.Version > _current.Credential.Version)
            {
                Apply(latest);
            }
        }
    }

    /// <summary>Raised after the data source moved to a new credential (new opens use it), on the watcher's thread: return quickly.</summary>
    public event Action<Credential>? CredentialChanged;

    /// <summary>The credential new connections are opened with.</summary>
    public Credential CurrentCredential => CurrentSource.Credential;

    /// <summary>The login new connections are opened as (it alternates between the secret's two logins).</summary>
    public string CurrentUsername => CurrentCredential.Username;

    /// <summary>The secret this data source follows.</summary>
    public string Secret => _watcher.Secret;

    /// <summary>The current inner source's connection string, without the password.</summary>
    public override string ConnectionString => CurrentSource.Source.ConnectionString;

    /// <summary>The watcher that keeps the credential current (shared with whoever wants to follow it too).</summary>
    public CredentialWatcher Watcher => _watcher;

    /// <summary>Completes when every inner source of an earlier login has been disposed.</summary>
    internal Task RetiredPoolsDisposedAsync()
    {
        lock (_gate)
        {
            return Task.WhenAll(_retiring.Select(r => r.Disposed));
        }
    }

    private LoginSource CurrentSource
    {
        get
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                return _current;
            }
        }
    }

    /// <summary>The current login's source, with one connection counted against it before another login can retire it.</summary>
    private LoginSource LeaseCurrent()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _current.Lease();
            return _current;
        }
    }

    /// <summary>
    /// Checks the options (the secret is required), fetches the secret's current credential (awaited: a server that
    /// cannot be reached or refuses the token fails here, with <see cref="PgRotateApiException"/>) and starts following
    /// it. Options are read once: changing them afterwards has no effect.
    /// </summary>
    public static async Task<PgRotateDataSource> CreateAsync(
        PgRotateClientOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid(requireSecret: true);
        time ??= TimeProvider.System;
        var api = await PgRotateApiClient.CreateAsync(options, time, cancellationToken).ConfigureAwait(false);
        try
        {
            var watcher = await CredentialWatcher.StartAsync(
                api, options.Secret!, options.WatcherSettings, loggerFactory?.CreateLogger<CredentialWatcher>(), time, cancellationToken).ConfigureAwait(false);
            return new PgRotateDataSource(options, api, watcher, loggerFactory, time);
        }
        catch
        {
            api.Dispose();
            throw;
        }
    }

    /// <summary>A closed connection of the current login's inner source (what EF Core's Npgsql provider asks for); opening it is not retried.</summary>
    public new NpgsqlConnection CreateConnection() => LeaseCurrent().CreateLeased();

    /// <summary>An open connection as the current login; retried once with a fresh credential when the login is refused.</summary>
    public new async ValueTask<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken = default)
    {
        var source = LeaseCurrent();
        try
        {
            return await source.OpenLeasedAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (_options.RetryOnAuthenticationFailure && AuthenticationFailures.IsRefusedLogin(e))
        {
            await RecoverAsync(source.Credential, e, cancellationToken).ConfigureAwait(false);
            return await LeaseCurrent().OpenLeasedAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The synchronous <see cref="OpenConnectionAsync"/>, for callers that cannot await; the credential fetch after a
    /// refused login blocks this thread.
    /// </summary>
    public new NpgsqlConnection OpenConnection()
    {
        var source = LeaseCurrent();
        try
        {
            return source.OpenLeased();
        }
        catch (PostgresException e) when (_options.RetryOnAuthenticationFailure && AuthenticationFailures.IsRefusedLogin(e))
        {
            RecoverAsync(source.Credential, e, CancellationToken.None).GetAwaiter().GetResult();
            return LeaseCurrent().OpenLeased();
        }
    }

    protected override DbConnection CreateDbConnection() => CreateConnection();

    protected override DbConnection OpenDbConnection() => OpenConnection();

    protected override async ValueTask<DbConnection> OpenDbConnectionAsync(CancellationToken cancellationToken = default) =>
        await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            DisposeSourcesAsync().AsTask().GetAwaiter().GetResult();
        }

        base.Dispose(disposing);
    }

    /// <summary>Not the base's: it would call <see cref="Dispose(bool)"/>, which disposes synchronously.</summary>
    protected override ValueTask DisposeAsyncCore() => DisposeSourcesAsync();

    private async ValueTask DisposeSourcesAsync()
    {
        List<(LoginSource Source, Task Disposed)> retiring;
        LoginSource current;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _watcher.Changed -= Apply;
            retiring = [.. _retiring];
            current = _current;
        }

        await _watcher.DisposeAsync().ConfigureAwait(false);
        _api.Dispose();
        await current.DisposeAsync().ConfigureAwait(false);
        // A retiring pool still waiting for its connections is disposed now rather than at its bound.
        foreach (var (source, disposed) in retiring)
        {
            await source.DisposeAsync().ConfigureAwait(false);
            await disposed.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The login was refused with the credential <paramref name="failed"/>: most likely a rotation this data source has
    /// not heard of yet. Asks the server now; if it has nothing newer, waits a short while for a rotation in progress.
    /// When nothing newer comes, the retry still happens once and its failure is the caller's.
    /// </summary>
    private async Task RecoverAsync(Credential failed, PostgresException refusal, CancellationToken cancellationToken)
    {
        ClientLog.LoginRefused(_logger, Secret, failed.Username, failed.Version, refusal.SqlState);
        try
        {
            await _watcher.RefreshAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PgRotateApiException e)
        {
            ClientLog.RefreshAfterRefusalFailed(_logger, Secret, e.Message);
        }

        if (CurrentCredential.Version <= failed.Version && CredentialConnection.SameLogin(CurrentCredential, failed) && CurrentCredential.Password == failed.Password)
        {
            await _watcher.WaitForNewerThanAsync(failed.Version, AuthenticationRetryWait, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The watcher's new credential: the same login gets the new password in place, another login a new inner source.</summary>
    private void Apply(Credential credential)
    {
        LoginSource? retired = null;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            if (CredentialConnection.SameLogin(_current.Credential, credential))
            {
                _current.UsePassword(credential);
            }
            else
            {
                retired = _current;
                _current = new LoginSource(credential, _options.ConfigureDataSource, _loggerFactory);
                _retiring.RemoveAll(r => r.Disposed.IsCompleted);
                _retiring.Add((retired, retired.RetireAsync(RetiredPoolBound, _time)));
            }
        }

        if (retired is not null)
        {
            ClientLog.LoginSwitched(_logger, Secret, retired.Credential.Username, credential.Username, credential.Version);
        }

        CredentialChanged?.Invoke(credential);
    }
}

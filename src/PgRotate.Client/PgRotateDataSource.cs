using System.Data.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PgRotate.Contracts;

namespace PgRotate.Client;

/// <summary>
/// A <see cref="DbDataSource"/> that always opens connections with the current credential of one pgrotate secret.
/// It holds one inner <see cref="NpgsqlDataSource"/> per login: when a rotation switches the login (alternating:
/// app_a → app_b) it first opens as many connections as the old login has out (at least one, at most 32) on the new
/// login's inner source, for at most <see cref="PgRotateClientOptions.LoginWarmUpTimeout"/>, then sends new opens there, so they find connections ready instead of each logging in; the
/// old login's pool is emptied as its connections come back, and its inner source is kept for the login's next turn
/// (Npgsql then need not read the database's types again); when only the password changes (a single secret) the
/// inner source keeps its pool and uses the new password for its next physical connection. An open through this data
/// source (<see cref="OpenConnectionAsync"/>, <see cref="OpenConnection"/>) that PostgreSQL refuses for its credential
/// (28P01, 28000) fetches a fresh credential and is retried once; a connection from <see cref="CreateConnection"/>
/// opened by its caller (as EF Core does) gets the current login but no retry. With
/// <see cref="PgRotateClientOptions.UseLease"/> the credential is a lease of the data source's own instead of the
/// secret's shared one; moving to a fresh lease switches logins the same way, and the old lease is revoked once its
/// connections are back.
/// </summary>
public sealed class PgRotateDataSource : DbDataSource
{
    /// <summary>How long a retired login's retirement waits for its connections to come back (each is still closed when it does).</summary>
    public static readonly TimeSpan RetiredPoolBound = TimeSpan.FromMinutes(5);

    /// <summary>After a refused login, how long an open waits for a newer credential when the server has none yet.</summary>
    public static readonly TimeSpan AuthenticationRetryWait = TimeSpan.FromSeconds(5);

    /// <summary>The most connections opened on a new login before opens move to it.</summary>
    public const int MaxWarmUpConnections = 32;

    private readonly PgRotateClientOptions _options;
    private readonly PgRotateApiClient _api;
    private readonly ICredentialFeed _feed;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly List<(LoginSource Source, Task Disposed)> _retiring = [];
    private readonly CancellationTokenSource _stopping = new();
    private LoginSource _current;

    /// <summary>The login that new opens move to once its connections are warm; null when no switch is under way.</summary>
    private LoginSource? _next;

    /// <summary>The login retired last, its pool emptied, kept for its next turn; disposed when another login is retired.</summary>
    private (LoginSource Source, Task Back)? _spare;
    private bool _disposed;

    private PgRotateDataSource(PgRotateClientOptions options, PgRotateApiClient api, ICredentialFeed feed, ILoggerFactory? loggerFactory, TimeProvider time)
    {
        _options = options;
        _api = api;
        _feed = feed;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory?.CreateLogger<PgRotateDataSource>() ?? (ILogger)NullLogger.Instance;
        _time = time;
        _current = new LoginSource(_feed.Current, _options.ConfigureDataSource, _loggerFactory);
        _feed.Changed += Apply;
        // A change between the first read and the subscription is applied now; one after it came through Apply.
        // (Never holding this lock while asking the watcher: the watcher calls Apply under its own lock.)
        var latest = _feed.Current;
        lock (_gate)
        {
            if (latest.Version > _current.Credential.Version)
            {
                Apply(latest);
            }
        }
    }

    /// <summary>
    /// Raised after the data source moved to a new credential (new opens use it): on the watcher's thread for a new
    /// password, on the thread that finished the warm-up for a new login. Return quickly.
    /// </summary>
    public event Action<Credential>? CredentialChanged;

    /// <summary>The credential new connections are opened with.</summary>
    public Credential CurrentCredential => CurrentSource.Credential;

    /// <summary>The login new connections are opened as (it alternates between the secret's two logins).</summary>
    public string CurrentUsername => CurrentCredential.Username;

    /// <summary>The secret this data source follows.</summary>
    public string Secret => _feed.Secret;

    /// <summary>The current inner source's connection string, without the password.</summary>
    public override string ConnectionString => CurrentSource.Source.ConnectionString;

    /// <summary>
    /// The watcher that keeps the shared credential current (shared with whoever wants to follow it too); a data source
    /// on a lease (<see cref="PgRotateClientOptions.UseLease"/>) has none and throws <see cref="InvalidOperationException"/>.
    /// </summary>
    public CredentialWatcher Watcher => _feed as CredentialWatcher
        ?? throw new InvalidOperationException($"the data source of {Secret} runs on a lease of its own, not on a watched shared credential");

    /// <summary>The lease new connections use, or null when the data source follows the shared credential.</summary>
    public LeaseCredential? Lease => (_feed as LeaseKeeper)?.Lease;

    /// <summary>
    /// Completes when every inner source of an earlier login has been disposed or, the one kept for its login's next
    /// turn, emptied: all its connections back and closed.
    /// </summary>
    internal Task RetiredPoolsDisposedAsync()
    {
        lock (_gate)
        {
            return Task.WhenAll(_retiring.Select(r => r.Disposed).Append(_spare?.Back ?? Task.CompletedTask));
        }
    }

    /// <summary>The inner source new opens use; for tests that look at its pool.</summary>
    internal NpgsqlDataSource CurrentInnerSource => CurrentSource.Source;

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
            ICredentialFeed feed = options.UseLease
                ? await LeaseKeeper.StartAsync(
                    api, options.Secret!, options.LeaseTtl, options.MaxBackoff, loggerFactory?.CreateLogger<LeaseKeeper>(), time, cancellationToken).ConfigureAwait(false)
                : await CredentialWatcher.StartAsync(
                    api, options.Secret!, options.WatcherSettings, loggerFactory?.CreateLogger<CredentialWatcher>(), time, cancellationToken).ConfigureAwait(false);
            return new PgRotateDataSource(options, api, feed, loggerFactory, time);
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
        LoginSource? next;
        LoginSource? spare;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _feed.Changed -= Apply;
            retiring = [.. _retiring];
            current = _current;
            next = _next;
            spare = _spare?.Source;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _feed.DisposeAsync().ConfigureAwait(false);
        _api.Dispose();
        await current.DisposeAsync().ConfigureAwait(false);
        foreach (var idle in new[] { next, spare }.OfType<LoginSource>())
        {
            await idle.DisposeAsync().ConfigureAwait(false);
        }

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
            await _feed.RefreshAfterRefusalAsync(failed, cancellationToken).ConfigureAwait(false);
        }
        catch (PgRotateApiException e)
        {
            ClientLog.RefreshAfterRefusalFailed(_logger, Secret, e.Message);
        }

        if (CurrentCredential.Version <= failed.Version && CredentialConnection.SameLogin(CurrentCredential, failed) && CurrentCredential.Password == failed.Password)
        {
            await _feed.WaitForNewerThanAsync(failed.Version, AuthenticationRetryWait, cancellationToken).ConfigureAwait(false);
        }

        // The retry must not wait for a warm-up, nor go to the login that was just refused.
        LoginSource? warming;
        lock (_gate)
        {
            warming = _next;
        }

        if (warming is not null)
        {
            SwitchTo(warming);
        }
    }

    /// <summary>
    /// The watcher's new credential: the same login gets the new password in place; another login is warmed up first
    /// and takes the new opens when its connections are ready (<see cref="SwitchWhenWarmAsync"/>).
    /// </summary>
    private void Apply(Credential credential)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            if (CredentialConnection.SameLogin(_current.Credential, credential))
            {
                _current.UsePassword(credential);
                AbandonSwitch();
            }
            else if (_next is { } warming && CredentialConnection.SameLogin(warming.Credential, credential))
            {
                // The switch under way goes to this login already: its next physical open uses the newer password.
                warming.UsePassword(credential);
                return;
            }
            else
            {
                AbandonSwitch();
                var next = TakeSpare(credential) ?? new LoginSource(credential, _options.ConfigureDataSource, _loggerFactory);
                _next = next;
                var warmUp = next.WarmUpAsync(WarmUpCount(next), _options.LoginWarmUpTimeout, _time, _stopping.Token);
                _ = SwitchWhenWarmAsync(next, warmUp);
                return;
            }
        }

        CredentialChanged?.Invoke(credential);
    }

    /// <summary>As many connections as the current login has out, so that every one of its users finds one ready; none without pooling or warm-up time.</summary>
    private int WarmUpCount(LoginSource next) =>
        next.Pooling && _options.LoginWarmUpTimeout > TimeSpan.Zero ? Math.Min(Math.Max(1, _current.Held), Math.Min(next.MaxPoolSize, MaxWarmUpConnections)) : 0;

    private async Task SwitchWhenWarmAsync(LoginSource next, Task warmUp)
    {
        try
        {
            await warmUp.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // A warm-up only saves time; whatever stopped it, the switch still happens.
            ClientLog.WarmUpFailed(_logger, Secret, next.Credential.Username, e.Message);
        }

        try
        {
            SwitchTo(next);
        }
        catch (Exception e)
        {
            // Only a handler of CredentialChanged can throw here, and nobody awaits this task: said in the log.
            ClientLog.HandlerFailed(_logger, Secret, e);
        }
    }

    /// <summary>New opens go to <paramref name="next"/> from now on, unless a newer credential replaced it meanwhile.</summary>
    private void SwitchTo(LoginSource next)
    {
        LoginSource retired;
        lock (_gate)
        {
            if (_disposed || !ReferenceEquals(_next, next))
            {
                return;
            }

            _next = null;
            retired = _current;
            _current = next;
            Retire(retired);
        }

        var credential = next.Credential;
        ClientLog.LoginSwitched(_logger, Secret, retired.Credential.Username, credential.Username, credential.Version);
        CredentialChanged?.Invoke(credential);
    }

    /// <summary>A switch under way is not needed any more (a newer credential came first): its source is retired unused.</summary>
    private void AbandonSwitch()
    {
        if (_next is { } abandoned)
        {
            _next = null;
            Retire(abandoned);
        }
    }

    /// <summary>The retired login's pool is emptied and the source kept as the spare; the spare before it is disposed once its connections are back.</summary>
    private void Retire(LoginSource source)
    {
        var back = source.RetireAsync(RetiredPoolBound, _time);
        if (_spare is { } older)
        {
            _retiring.RemoveAll(r => r.Disposed.IsCompleted);
            _retiring.Add((older.Source, DisposeWhenBackAsync(older.Source, older.Back)));
        }

        _spare = (source, back);
        _feed.LoginRetired(source.Credential, back);
    }

    private static async Task DisposeWhenBackAsync(LoginSource source, Task back)
    {
        await back.ConfigureAwait(false);
        await source.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The spare when <paramref name="credential"/> is its login's next turn (its new password), else null.</summary>
    private LoginSource? TakeSpare(Credential credential)
    {
        if (_spare is { } spare && CredentialConnection.SameLogin(spare.Source.Credential, credential))
        {
            _spare = null;
            spare.Source.Reactivate(credential);
            return spare.Source;
        }

        return null;
    }
}

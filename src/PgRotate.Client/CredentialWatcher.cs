using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PgRotate.Contracts;

namespace PgRotate.Client;

/// <summary>
/// Holds the current credential of one secret and keeps it current: a background loop long-polls the server with the
/// version held, fetches the credential in full every <see cref="CredentialWatcherSettings.RefreshInterval"/> as well,
/// and while the server cannot be reached keeps the last good credential and retries with capped, jittered backoff
/// (one warning per outage, one information line when the server answers again).
/// </summary>
public sealed class CredentialWatcher : IAsyncDisposable, ICredentialFeed
{
    /// <summary>A long-poll answered sooner than this without a change (a server stopping, a proxy) is followed by a pause.</summary>
    private static readonly TimeSpan ShortestPoll = TimeSpan.FromSeconds(1);

    private readonly PgRotateApiClient _api;
    private readonly CredentialWatcherSettings _settings;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private Credential _current;
    private TaskCompletionSource _nextChange = NewSignal();
    private Task _loop = Task.CompletedTask;

    private CredentialWatcher(PgRotateApiClient api, string secret, Credential first, CredentialWatcherSettings settings, ILogger logger, TimeProvider time)
    {
        _api = api;
        Secret = secret;
        _current = first;
        _settings = settings;
        _logger = logger;
        _time = time;
    }

    /// <summary>Raised after each change of <see cref="Current"/>, one at a time and in order, on the watcher's thread: return quickly.</summary>
    public event Action<Credential>? Changed;

    public string Secret { get; }

    /// <summary>The newest credential known; the last good one while the server cannot be reached.</summary>
    public Credential Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    /// <summary>
    /// Fetches the secret's current credential (awaited: throws <see cref="PgRotateApiException"/> when that fails) and
    /// starts following it in the background until disposed.
    /// </summary>
    public static async Task<CredentialWatcher> StartAsync(
        PgRotateApiClient api, string secret, CredentialWatcherSettings? settings = null, ILogger? logger = null, TimeProvider? time = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentException.ThrowIfNullOrWhiteSpace(secret);
        settings ??= CredentialWatcherSettings.Default;
        if (settings.Validate() is [var first, ..])
        {
            throw new ArgumentException(first, nameof(settings));
        }

        var credential = await api.GetCredentialAsync(secret, CredentialStage.Current, cancellationToken).ConfigureAwait(false);
        var watcher = new CredentialWatcher(api, secret, credential, settings, logger ?? NullLogger.Instance, time ?? TimeProvider.System);
        watcher._loop = Task.Run(() => watcher.FollowAsync(watcher._stop.Token), CancellationToken.None);
        return watcher;
    }

    /// <summary>The current credential first, then each change, until <paramref name="cancellationToken"/> or disposal.</summary>
    public async IAsyncEnumerable<Credential> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var changes = Channel.CreateUnbounded<Credential>(new UnboundedChannelOptions { SingleReader = true });
        void OnChanged(Credential c) => changes.Writer.TryWrite(c);
        Credential last;
        lock (_gate)
        {
            // Subscribed under the lock that changes take: no change falls between the first answer and the next.
            Changed += OnChanged;
            last = _current;
        }

        try
        {
            yield return last;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
            while (true)
            {
                Credential next;
                try
                {
                    next = await changes.Reader.ReadAsync(stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    yield break;
                }

                yield return next;
            }
        }
        finally
        {
            Changed -= OnChanged;
        }
    }

    /// <summary>
    /// Fetches the current credential now (e.g. after a login was refused) and returns the newest known afterwards;
    /// throws <see cref="PgRotateApiException"/> when the server cannot be asked.
    /// </summary>
    public async Task<Credential> RefreshAsync(CancellationToken cancellationToken = default)
    {
        var fetched = await _api.GetCredentialAsync(Secret, CredentialStage.Current, cancellationToken).ConfigureAwait(false);
        // Only forward: this fetch may race the loop's long-poll, whose newer answer must not be undone.
        Accept(fetched, fromFullFetch: false);
        return Current;
    }

    /// <summary>
    /// Waits until a version newer than <paramref name="version"/> is current, at most <paramref name="timeout"/>;
    /// returns <see cref="Current"/> either way.
    /// </summary>
    public async Task<Credential> WaitForNewerThanAsync(int version, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token, _stop.Token);
        while (true)
        {
            Task signal;
            lock (_gate)
            {
                if (_current.Version > version)
                {
                    return _current;
                }

                signal = _nextChange.Task;
            }

            try
            {
                await signal.WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return Current;
            }
        }
    }

    Task ICredentialFeed.RefreshAfterRefusalAsync(Credential refused, CancellationToken cancellationToken) => RefreshAsync(cancellationToken);

    /// <summary>A shared login is not the data source's to end: the rotation's grace period does that.</summary>
    void ICredentialFeed.LoginRetired(Credential credential, Task connectionsBack)
    {
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task FollowAsync(CancellationToken stop)
    {
        var failures = 0;
        var outageStarted = DateTimeOffset.MinValue;
        var lastFullFetch = _time.GetUtcNow();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (failures > 0 || _time.GetUtcNow() - lastFullFetch >= _settings.RefreshInterval)
                {
                    // After a failure a plain read rather than a long-poll: it tells at once that the server is back,
                    // and brings whatever changed meanwhile.
                    Accept(await _api.GetCredentialAsync(Secret, CredentialStage.Current, stop).ConfigureAwait(false), fromFullFetch: true);
                    lastFullFetch = _time.GetUtcNow();
                    if (failures > 0)
                    {
                        ClientLog.ServerBack(_logger, Secret, (long)(lastFullFetch - outageStarted).TotalSeconds, failures);
                        failures = 0;
                    }

                    continue;
                }

                var asked = _time.GetUtcNow();
                // The long-poll ends by the next full fetch, so a poll that never reports a change still leaves room for it.
                var untilRefresh = _settings.RefreshInterval - (asked - lastFullFetch);
                var wait = TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(Math.Min(_settings.LongPollTimeout.TotalSeconds, untilRefresh.TotalSeconds))));
                var changed = await _api.WaitForChangeAsync(Secret, Current.Version, wait, stop).ConfigureAwait(false);
                if (changed is not null)
                {
                    Accept(changed, fromFullFetch: false);
                }
                else if (_time.GetUtcNow() - asked < ShortestPoll)
                {
                    await Task.Delay(Backoff.Initial, _time, stop).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                failures++;
                var delay = Backoff.Delay(failures, _settings.MaxBackoff);
                var held = Current;
                if (failures == 1)
                {
                    outageStarted = _time.GetUtcNow();
                    ClientLog.ServerUnreachable(_logger, Secret, e.Message, held.Version, held.Username);
                }
                else
                {
                    ClientLog.StillUnreachable(_logger, Secret, failures, e.Message, (long)delay.TotalMilliseconds);
                }

                try
                {
                    await Task.Delay(delay, _time, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// Makes <paramref name="fetched"/> current when it differs from what is held. A long-poll's answer only ever moves
    /// forward (answers of concurrent fetches may arrive out of order); a full fetch is the server's word on what is
    /// current and may also move back (a secret removed and added again numbers its versions anew).
    /// </summary>
    private void Accept(Credential fetched, bool fromFullFetch)
    {
        lock (_gate)
        {
            var held = _current;
            if (fetched.Version == held.Version && fetched.Username == held.Username && fetched.Password == held.Password)
            {
                return;
            }

            if (fetched.Version < held.Version && !fromFullFetch)
            {
                return;
            }

            _current = fetched;
            ClientLog.CredentialChanged(_logger, Secret, fetched.Version, fetched.Username);
            // Raised under the lock so that handlers see the changes one at a time and in order.
            foreach (var handler in Changed?.GetInvocationList().Cast<Action<Credential>>() ?? [])
            {
                try
                {
                    handler(fetched);
                }
                catch (Exception e)
                {
                    ClientLog.HandlerFailed(_logger, Secret, e);
                }
            }

            _nextChange.TrySetResult();
            _nextChange = NewSignal();
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

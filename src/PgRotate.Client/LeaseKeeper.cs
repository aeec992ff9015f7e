using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PgRotate.Contracts;

namespace PgRotate.Client;

/// <summary>
/// Keeps one lease of a dynamic secret alive for a data source: renews it at about 2/3 of its TTL, and when a renewal
/// could no longer give a full TTL (the lease's maximum is near) issues a fresh lease instead, so new connections move
/// to the fresh login while the old one still has a third of a TTL left. The old lease is revoked once the data source
/// reports its connections back; a revocation that fails is logged and left to the lease's expiry (PostgreSQL refuses
/// the login after its <c>VALID UNTIL</c> whatever happens here). A renewal that fails is retried with backoff while
/// the lease has time; when it is about to expire and the server still cannot be reached, a warning says so.
/// </summary>
internal sealed class LeaseKeeper : ICredentialFeed
{
    /// <summary>How long one revocation (at a move, or at dispose) may take before it is left to the lease's expiry.</summary>
    public static readonly TimeSpan RevokeBound = TimeSpan.FromSeconds(10);

    private readonly PgRotateApiClient _api;
    private readonly TimeSpan? _requestedTtl;
    private readonly TimeSpan _ttl;
    private readonly TimeSpan _maxBackoff;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _moving = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, LeaseCredential> _ended = [];
    private readonly List<Task> _revocations = [];
    private LeaseCredential _lease;
    private DateTimeOffset _expiresAt;
    private Credential _current;
    private Task _loop = Task.CompletedTask;

    private LeaseKeeper(PgRotateApiClient api, string secret, TimeSpan? ttl, LeaseCredential first, TimeSpan maxBackoff, ILogger? logger, TimeProvider time)
    {
        _api = api;
        Secret = secret;
        _requestedTtl = ttl;
        // Without a TTL of its own the lease lives the secret's default: what the first lease was given.
        _ttl = ttl ?? first.ExpiresAt - first.IssuedAt;
        _maxBackoff = maxBackoff;
        _logger = logger ?? NullLogger.Instance;
        _time = time;
        _lease = first;
        _expiresAt = first.ExpiresAt;
        _current = ToCredential(first, 1);
    }

    public string Secret { get; }

    public event Action<Credential>? Changed;

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

    /// <summary>The lease new connections use.</summary>
    public LeaseCredential Lease
    {
        get
        {
            lock (_gate)
            {
                return _lease;
            }
        }
    }

    /// <summary>Issues the first lease (awaited: a server that cannot be reached or refuses fails here) and starts keeping it.</summary>
    public static async Task<LeaseKeeper> StartAsync(
        PgRotateApiClient api, string secret, TimeSpan? ttl, TimeSpan maxBackoff, ILogger? logger, TimeProvider time, CancellationToken cancellationToken)
    {
        var first = await api.IssueLeaseAsync(secret, ttl, cancellationToken).ConfigureAwait(false);
        var keeper = new LeaseKeeper(api, secret, ttl, first, maxBackoff, logger, time);
        keeper._loop = keeper.KeepAsync(keeper._stop.Token);
        return keeper;
    }

    /// <summary>A refused login on the lease's credential (revoked or expired behind our back): a fresh lease now, once.</summary>
    public async Task RefreshAfterRefusalAsync(Credential refused, CancellationToken cancellationToken)
    {
        await _moving.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Opens refused together all land here; the first one moves, the others find the move done.
            if (Current.Version == refused.Version)
            {
                await MoveLockedAsync("PostgreSQL refused the lease's login", cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _moving.Release();
        }
    }

    /// <summary>A lease is replaced only by this keeper's own moves, which <see cref="RefreshAfterRefusalAsync"/> already awaited.</summary>
    public Task<Credential> WaitForNewerThanAsync(int version, TimeSpan timeout, CancellationToken cancellationToken) => Task.FromResult(Current);

    public void LoginRetired(Credential credential, Task connectionsBack)
    {
        lock (_gate)
        {
            if (_ended.Remove(credential.Username, out var ended))
            {
                _revocations.RemoveAll(r => r.IsCompleted);
                _revocations.Add(RevokeWhenBackAsync(ended, connectionsBack));
            }
        }
    }

    /// <summary>
    /// When the replaced lease behind <paramref name="credential"/> expires (as last renewed): a consumer that keeps
    /// using it for a while after a move must be done by then. Null when it is not a replaced lease awaiting revocation.
    /// </summary>
    public DateTimeOffset? RetiringExpiresAt(Credential credential)
    {
        lock (_gate)
        {
            return _ended.TryGetValue(credential.Username, out var ended) ? ended.ExpiresAt : null;
        }
    }

    /// <summary>Stops renewing and revokes every lease still held (bounded: one that cannot be revoked expires).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        Task[] pending;
        lock (_gate)
        {
            pending = [.. _revocations, .. _ended.Values.Select(RevokeAsync), RevokeAsync(_lease)];
            _ended.Clear();
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
        _stop.Dispose();
        _moving.Dispose();
    }

    private async Task KeepAsync(CancellationToken stop)
    {
        var failures = 0;
        var warned = false;
        while (!stop.IsCancellationRequested)
        {
            DateTimeOffset expiresAt;
            lock (_gate)
            {
                expiresAt = _expiresAt;
            }

            var wait = failures == 0 ? expiresAt - _ttl / 3 - _time.GetUtcNow() : Backoff.Delay(failures, _maxBackoff);
            try
            {
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, stop).ConfigureAwait(false);
                }

                await RenewOrMoveAsync(stop).ConfigureAwait(false);
                if (failures > 0)
                {
                    var kept = Lease;
                    ClientLog.LeaseKeptAgain(_logger, Secret, kept.LeaseId, kept.Username, ExpiresAt);
                }

                failures = 0;
                warned = false;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (PgRotateApiException e)
            {
                failures++;
                var lease = Lease;
                var left = ExpiresAt - _time.GetUtcNow();
                if (failures == 1)
                {
                    ClientLog.LeaseRenewFailed(_logger, Secret, lease.LeaseId, lease.Username, ExpiresAt, e.Message);
                }

                if (!warned && left < _ttl / 6)
                {
                    ClientLog.LeaseAboutToExpire(_logger, Secret, lease.LeaseId, lease.Username, ExpiresAt, e.Message);
                    warned = true;
                }
            }
        }
    }

    private DateTimeOffset ExpiresAt
    {
        get
        {
            lock (_gate)
            {
                return _expiresAt;
            }
        }
    }

    private async Task RenewOrMoveAsync(CancellationToken stop)
    {
        await _moving.WaitAsync(stop).ConfigureAwait(false);
        try
        {
            var lease = Lease;
            var now = _time.GetUtcNow();
            if (now >= ExpiresAt)
            {
                await MoveLockedAsync("the lease expired before it could be renewed", stop).ConfigureAwait(false);
            }
            else if (now + _ttl > lease.MaxExpiresAt)
            {
                await MoveLockedAsync("a renewal would be cut at the lease's maximum TTL", stop).ConfigureAwait(false);
            }
            else
            {
                LeaseSummary renewed;
                try
                {
                    renewed = await _api.RenewLeaseAsync(lease.LeaseId, _requestedTtl, stop).ConfigureAwait(false);
                }
                catch (PgRotateApiException e) when (e.StatusCode is { } status && (int)status is >= 400 and < 500 && status != System.Net.HttpStatusCode.TooManyRequests)
                {
                    // The server answered that this lease cannot be renewed (revoked, expired, gone): replace it.
                    await MoveLockedAsync($"the lease can no longer be renewed ({e.Message})", stop).ConfigureAwait(false);
                    return;
                }

                lock (_gate)
                {
                    _expiresAt = renewed.ExpiresAt;
                }

                ClientLog.LeaseRenewed(_logger, Secret, lease.LeaseId, lease.Username, renewed.ExpiresAt);
            }
        }
        finally
        {
            _moving.Release();
        }
    }

    /// <summary>Issues a fresh lease and makes it current; the caller holds <see cref="_moving"/>, so moves never overlap.</summary>
    private async Task MoveLockedAsync(string reason, CancellationToken cancellationToken)
    {
        var fresh = await _api.IssueLeaseAsync(Secret, _requestedTtl, cancellationToken).ConfigureAwait(false);
        LeaseCredential old;
        Credential credential;
        lock (_gate)
        {
            // Kept with the expiry it was last renewed to: what bounds how long it may still be used before its revocation.
            old = _lease with { ExpiresAt = _expiresAt };
            _ended[old.Username] = old;
            _lease = fresh;
            _expiresAt = fresh.ExpiresAt;
            _current = credential = ToCredential(fresh, _current.Version + 1);
        }

        ClientLog.LeaseMoved(_logger, Secret, old.LeaseId, fresh.LeaseId, fresh.Username, fresh.MaxExpiresAt, reason);
        // The data source switches its opens to the fresh login here and reports the old one through LoginRetired.
        Changed?.Invoke(credential);
    }

    private async Task RevokeWhenBackAsync(LeaseCredential lease, Task connectionsBack)
    {
        try
        {
            await connectionsBack.WaitAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Disposing: the connections are being closed anyway; revoke now.
        }

        await RevokeAsync(lease).ConfigureAwait(false);
    }

    private async Task RevokeAsync(LeaseCredential lease)
    {
        using var bound = new CancellationTokenSource(RevokeBound, _time);
        try
        {
            await _api.RevokeLeaseAsync(lease.LeaseId, bound.Token).ConfigureAwait(false);
            ClientLog.LeaseRevoked(_logger, Secret, lease.LeaseId, lease.Username);
        }
        catch (Exception e) when (e is PgRotateApiException or OperationCanceledException or ObjectDisposedException)
        {
            ClientLog.LeaseRevokeFailed(_logger, Secret, lease.LeaseId, lease.Username, lease.ExpiresAt, e.Message);
        }
    }

    /// <summary>The lease as the credential a data source opens connections with; each fresh lease is the next version.</summary>
    internal static Credential ToCredential(LeaseCredential lease, int version) => new(
        lease.Secret, lease.Username, lease.Password, lease.Host, lease.Port, lease.Database, version, CredentialStage.Current,
        lease.IssuedAt, lease.ExpiresAt, lease.SslMode, lease.SslRootCert, lease.ChannelBinding);
}

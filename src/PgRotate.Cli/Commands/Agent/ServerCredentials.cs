using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using PgRotate.Client;
using PgRotate.Contracts;
using PgRotate.Errors;

namespace PgRotate.Cli.Commands.Agent;

/// <summary>
/// The secrets the agent follows, through the server's API: one <see cref="CredentialWatcher"/> per shared secret (the
/// client library's long-poll, periodic refresh and backoff while the server is away), and one
/// <see cref="LeaseKeeper"/> per secret on a lease (renewed, moved to a fresh lease before its maximum TTL, revoked
/// when this is disposed). All are started before the agent writes anything, so that a wrong token or secret name is
/// one clear line at start. With <c>once</c> a leased secret gets one lease, neither kept nor revoked.
/// </summary>
internal sealed class ServerCredentials : IAsyncDisposable
{
    private readonly PgRotateApiClient _api;
    private readonly Dictionary<string, CredentialWatcher> _watchers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LeaseKeeper> _keepers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LeaseCredential> _issued = new(StringComparer.Ordinal);
    private readonly AgentLeases _leases;
    private readonly TimeProvider _time;

    private ServerCredentials(PgRotateApiClient api, AgentLeases leases, TimeProvider time)
    {
        _api = api;
        _leases = leases;
        _time = time;
    }

    /// <summary>The leases issued for <c>--once</c>: left to their expiry.</summary>
    public IReadOnlyCollection<LeaseCredential> IssuedOnce => _issued.Values;

    public static async Task<ServerCredentials> StartAsync(
        PgRotateClientOptions options, IEnumerable<string> secrets, AgentLeases leases, bool once, TextWriter log, TextWriter warnings, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (options.Validate(requireSecret: false) is [var problem, ..])
        {
            throw PgRotateException.InvalidInput(problem);
        }

        PgRotateApiClient api;
        try
        {
            api = await PgRotateApiClient.CreateAsync(options, time, cancellationToken);
        }
        catch (PgRotateApiException e)
        {
            throw Translate(e);
        }

        var credentials = new ServerCredentials(api, leases, time);
        try
        {
            foreach (var secret in secrets)
            {
                await credentials.StartAsync(secret, options, once, log, warnings, cancellationToken);
            }
        }
        catch
        {
            // Leases issued before the failure are revoked: nothing was rendered from them.
            await credentials.DisposeAsync();
            throw;
        }

        return credentials;
    }

    private async Task StartAsync(string secret, PgRotateClientOptions options, bool once, TextWriter log, TextWriter warnings, CancellationToken cancellationToken)
    {
        try
        {
            if (!_leases.Covers(secret))
            {
                _watchers[secret] = await CredentialWatcher.StartAsync(_api, secret, options.WatcherSettings, new StderrLog(warnings), _time, cancellationToken);
            }
            else if (once)
            {
                _issued[secret] = await _api.IssueLeaseAsync(secret, _leases.Ttl, cancellationToken);
            }
            else
            {
                _keepers[secret] = await LeaseKeeper.StartAsync(_api, secret, _leases.Ttl, options.MaxBackoff, new LeaseLog(log, warnings), _time, cancellationToken);
            }
        }
        catch (PgRotateApiException e) when (!_leases.Covers(secret) && e.StatusCode == HttpStatusCode.Conflict)
        {
            // The one conflict a read answers: a dynamic secret has no shared credential.
            throw new PgRotateException(ErrorCode.IncompatibleState,
                $"secret {secret} is dynamic: it has no shared credential to read; run the agent with --lease, so that it takes a lease (a login of its own) and keeps it ({CliApp.OneLine(e.Message)})");
        }
        catch (PgRotateApiException e)
        {
            throw Translate(e);
        }
    }

    public IAsyncEnumerable<Credential> Watch(string secret, CancellationToken cancellationToken) =>
        _watchers.TryGetValue(secret, out var watcher) ? watcher.WatchAsync(cancellationToken)
        : _keepers.TryGetValue(secret, out var keeper) ? FollowAsync(keeper, cancellationToken)
        : OnceAsync(LeaseKeeper.ToCredential(_issued[secret], 1));

    /// <summary>
    /// The agent rendered <paramref name="current"/> in place of <paramref name="previous"/> everywhere and ran its hook:
    /// a replaced lease is revoked after the grace (clients that read the file reconnect meanwhile), never later than
    /// it expires. Nothing to do for a shared secret, whose grace PostgreSQL enforces.
    /// </summary>
    public void Superseded(Credential previous, Credential current)
    {
        if (!_keepers.TryGetValue(current.Name, out var keeper) || keeper.RetiringExpiresAt(previous) is not { } expiresAt)
        {
            return;
        }

        var left = expiresAt - _time.GetUtcNow();
        var wait = _leases.Grace < left ? _leases.Grace : left;
        keeper.LoginRetired(previous, wait > TimeSpan.Zero ? Task.Delay(wait, _time) : Task.CompletedTask);
    }

    /// <summary>The keeper's lease as a credential now, then each fresh lease it moves to.</summary>
    private static async IAsyncEnumerable<Credential> FollowAsync(LeaseKeeper keeper, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var changes = Channel.CreateUnbounded<Credential>(new UnboundedChannelOptions { SingleReader = true });
        void OnChanged(Credential credential) => changes.Writer.TryWrite(credential);
        keeper.Changed += OnChanged;
        try
        {
            // Subscribed first: a move between here and the read below is seen twice and passed on once.
            var last = keeper.Current;
            yield return last;
            await foreach (var credential in changes.Reader.ReadAllAsync(cancellationToken))
            {
                if (credential.Version > last.Version)
                {
                    last = credential;
                    yield return credential;
                }
            }
        }
        finally
        {
            keeper.Changed -= OnChanged;
        }
    }

    private static async IAsyncEnumerable<Credential> OnceAsync(Credential credential)
    {
        await Task.CompletedTask;
        yield return credential;
    }

    /// <summary>The API's answer as pgrotate's exit codes: 401 as authentication failed, 403 as permission denied, 404 as not found.</summary>
    private static PgRotateException Translate(PgRotateApiException e) => new(
        e.StatusCode switch
        {
            HttpStatusCode.Unauthorized => ErrorCode.AuthenticationFailed,
            HttpStatusCode.Forbidden => ErrorCode.PermissionDenied,
            HttpStatusCode.NotFound => ErrorCode.NotFound,
            HttpStatusCode.BadRequest => ErrorCode.InvalidInput,
            HttpStatusCode.Conflict => ErrorCode.IncompatibleState,
            _ => ErrorCode.EnvironmentError,
        },
        CliApp.OneLine(e.Message));

    /// <summary>Stops watching; revokes every lease the keepers hold (each bounded: one that cannot be revoked expires).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var watcher in _watchers.Values)
        {
            await watcher.DisposeAsync();
        }

        await Task.WhenAll(_keepers.Values.Select(k => k.DisposeAsync().AsTask()));
        _api.Dispose();
    }
}

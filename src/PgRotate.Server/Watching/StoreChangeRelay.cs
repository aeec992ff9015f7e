using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PgRotate.Store;

namespace PgRotate.Server.Watching;

/// <summary>
/// Passes the store's change feed (rotations made by other processes: a <c>pgrotate rotate</c> on the same SQLite
/// file, another replica on the same PostgreSQL store) to the watchers. A feed that fails is subscribed again after a
/// pause; every watcher is told to re-read then, since changes may have been missed meanwhile.
/// </summary>
internal sealed partial class StoreChangeRelay(ISecretStore store, SecretWatchers watchers, Caching.CredentialCache credentials, TimeProvider time, ILogger<StoreChangeRelay> logger) : BackgroundService
{
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var secret in store.Changes.WatchAsync(stoppingToken).ConfigureAwait(false))
                {
                    // The cached answer goes first, so a watcher woken next reads the new version.
                    credentials.Invalidate(secret);
                    if (secret is null)
                    {
                        watchers.SignalAll();
                    }
                    else
                    {
                        watchers.Signal(secret);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                FeedFailed(logger, PgRotate.Postgres.PostgresErrors.Scrub(e.Message));
                credentials.Invalidate(null);
                watchers.SignalAll();
                await Task.Delay(Pause, time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "the store's change feed failed ({Problem}); subscribing again shortly")]
    private static partial void FeedFailed(ILogger logger, string problem);
}

namespace PgRotate.Store;

/// <summary>
/// Signals that secrets' versions may have changed (a promotion, a new secret, a removal), made by this process or by
/// another one using the same store. A signal says "look again", never what the new value is: watchers re-read the
/// store, so a lost or duplicated signal costs a read, never a wrong answer.
/// </summary>
public interface IStoreChanges
{
    /// <summary>
    /// Yields the name of a secret that may have changed, or null when the store cannot tell which (re-read all), until
    /// <paramref name="cancellationToken"/> is cancelled. Each call is an independent subscription. The first item is
    /// null, once the feed is live: from then on no change is missed, and anything before it should be re-read.
    /// </summary>
    IAsyncEnumerable<string?> WatchAsync(CancellationToken cancellationToken);
}

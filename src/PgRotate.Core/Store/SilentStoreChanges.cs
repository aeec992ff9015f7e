using System.Runtime.CompilerServices;

namespace PgRotate.Store;

/// <summary>Placeholder change feed that never signals; replaced by each store's own feed.</summary>
public sealed class SilentStoreChanges : IStoreChanges
{
    public static SilentStoreChanges Instance { get; } = new();

    private SilentStoreChanges()
    {
    }

    public async IAsyncEnumerable<string?> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        yield break;
    }
}

using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace PgRotate.Store;

/// <summary>
/// One source of change signals (a poller, a LISTEN connection) shared by every subscriber of a store: the source runs
/// while at least one subscriber is watching and is stopped when the last one leaves, so a thousand watchers cost one
/// poller or one connection. Each subscriber gets its own queue, so a slow one delays nobody else.
/// </summary>
/// <remarks>
/// The source calls <c>publish</c> with a secret's name, or with null for "re-read everything". It calls it with null
/// once it is live (and again after a reconnect): every subscriber's first item is that null, so a subscriber knows
/// from then on no change is missed, and re-reads what may have changed before.
/// </remarks>
public sealed class StoreChangeHub(Func<Action<string?>, CancellationToken, Task> source) : IStoreChanges
{
    private readonly Lock _gate = new();
    private readonly List<Channel<string?>> _subscribers = [];
    private CancellationTokenSource? _running;
    private bool _live;

    public async IAsyncEnumerable<string?> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Unbounded: a subscriber that stops reading holds names only until it leaves; a bounded queue would have to
        // drop names, and a dropped name is a missed change.
        var queue = Channel.CreateUnbounded<string?>(new UnboundedChannelOptions { SingleReader = true });
        Subscribe(queue);
        try
        {
            while (await queue.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (queue.Reader.TryRead(out var name))
                {
                    yield return name;
                }
            }
        }
        finally
        {
            Unsubscribe(queue);
        }
    }

    private void Subscribe(Channel<string?> queue)
    {
        lock (_gate)
        {
            _subscribers.Add(queue);
            if (_live)
            {
                queue.Writer.TryWrite(null);
            }

            if (_running is null)
            {
                var running = new CancellationTokenSource();
                _running = running;
                // Off this thread: the source must not run (and publish) inside the lock taken here.
                _ = Task.Run(() => RunSourceAsync(running), CancellationToken.None);
            }
        }
    }

    private void Unsubscribe(Channel<string?> queue)
    {
        lock (_gate)
        {
            _subscribers.Remove(queue);
            if (_subscribers.Count == 0 && _running is { } running)
            {
                _running = null;
                _live = false;
                running.Cancel();
            }
        }
    }

    private async Task RunSourceAsync(CancellationTokenSource running)
    {
        Exception? fault = null;
        try
        {
            await source(name => Publish(running, name), running.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (running.IsCancellationRequested)
        {
            // The last subscriber left.
        }
        catch (Exception e)
        {
            fault = e;
        }

        // A source that gave up (a fault it cannot retry) ends its subscribers' watches, with its error, instead of
        // leaving them waiting for signals that will never come.
        lock (_gate)
        {
            if (_running == running)
            {
                foreach (var queue in _subscribers)
                {
                    queue.Writer.TryComplete(fault);
                }

                _subscribers.Clear();
                _running = null;
                _live = false;
            }
        }
    }

    private void Publish(CancellationTokenSource running, string? name)
    {
        lock (_gate)
        {
            // A source stopped while it was publishing must not mark a newer one live.
            if (_running != running)
            {
                return;
            }

            if (name is null)
            {
                _live = true;
            }

            foreach (var queue in _subscribers)
            {
                queue.Writer.TryWrite(name);
            }
        }
    }
}

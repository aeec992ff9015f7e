namespace PgRotate.Server.Watching;

/// <summary>
/// The one registry of long-polls: per secret, a task that completes at the next signal for it. A watcher takes the
/// task before it reads the store, then waits on it, so a change between its read and its wait is never missed; every
/// watcher of one secret shares one task, and nothing polls. Signals come from this server's own rotations at once,
/// and from the store's change feed for other processes.
/// </summary>
internal sealed class SecretWatchers
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, TaskCompletionSource> _next = new(StringComparer.Ordinal);
    private readonly List<(int Count, TaskCompletionSource Reached)> _openWaiters = [];
    private int _open;

    /// <summary>How many long-polls are waiting right now.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>Completes at the next <see cref="Signal"/> of <paramref name="secret"/> (or <see cref="SignalAll"/>).</summary>
    public Task NextChange(string secret)
    {
        lock (_gate)
        {
            if (!_next.TryGetValue(secret, out var next))
            {
                // Continuations run on the thread pool, not inside Signal's lock or on the rotating request's thread.
                next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _next[secret] = next;
            }

            return next.Task;
        }
    }

    public void Signal(string secret)
    {
        TaskCompletionSource? next;
        lock (_gate)
        {
            _next.Remove(secret, out next);
        }

        next?.TrySetResult();
    }

    /// <summary>When the change feed cannot say which secret changed: every watcher re-reads.</summary>
    public void SignalAll()
    {
        List<TaskCompletionSource> all;
        lock (_gate)
        {
            all = [.. _next.Values];
            _next.Clear();
        }

        all.ForEach(n => n.TrySetResult());
    }

    /// <summary>Counts one open watch until the returned handle is disposed.</summary>
    public IDisposable Watch()
    {
        lock (_gate)
        {
            _open++;
            foreach (var waiter in _openWaiters.Where(w => _open >= w.Count).ToList())
            {
                _openWaiters.Remove(waiter);
                waiter.Reached.TrySetResult();
            }
        }

        return new OpenWatch(this);
    }

    /// <summary>Completes once at least <paramref name="count"/> watches are open at the same time (what a caller waiting for watchers awaits).</summary>
    public Task WhenOpenAsync(int count, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_open >= count)
            {
                return Task.CompletedTask;
            }

            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _openWaiters.Add((count, reached));
            return reached.Task.WaitAsync(cancellationToken);
        }
    }

    private void Close()
    {
        lock (_gate)
        {
            _open--;
        }
    }

    private sealed class OpenWatch(SecretWatchers watchers) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                watchers.Close();
            }
        }
    }
}

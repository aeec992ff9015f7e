namespace PgRotate.Leases;

/// <summary>
/// Wakes a sleeping <see cref="LeaseReaper"/> when a lease is issued in this process, so that a lease shorter than the
/// reaper's sleep is still revoked at its expiry. Leases issued by other processes sharing the store are found by the
/// reaper's periodic look (<see cref="LeaseReaper.MaxSleep"/>).
/// </summary>
public sealed class LeaseSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Notify() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Returns when <see cref="Notify"/> is called or <paramref name="timeout"/> has passed on <paramref name="time"/>'s clock.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var notified = Volatile.Read(ref _next).Task;
        if (timeout <= TimeSpan.Zero)
        {
            return;
        }

        using var stopDelay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(timeout, time, stopDelay.Token);
        await Task.WhenAny(notified, delay).ConfigureAwait(false);
        await stopDelay.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }
}

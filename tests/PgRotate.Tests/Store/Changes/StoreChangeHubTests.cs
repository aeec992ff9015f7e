using PgRotate.Store;

namespace PgRotate.Tests.Store.Changes;

/// <summary>
/// <see cref="StoreChangeHub"/>: one source for any number of watchers, started by the first and stopped when the last
/// leaves; every watcher first hears that the feed is live (null), then every name the source publishes.
/// </summary>
public sealed class StoreChangeHubTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_watchers_share_one_source_which_stops_when_the_last_leaves()
    {
        var source = new FakeSource();
        var hub = new StoreChangeHub(source.RunAsync);
        using var firstStop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        using var secondStop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        await using var first = hub.WatchAsync(firstStop.Token).GetAsyncEnumerator(firstStop.Token);
        await using var second = hub.WatchAsync(secondStop.Token).GetAsyncEnumerator(secondStop.Token);

        Assert.True(await first.MoveNextAsync());
        Assert.Null(first.Current);
        Assert.True(await second.MoveNextAsync());
        Assert.Null(second.Current);
        source.Publish("orders/app");
        Assert.True(await first.MoveNextAsync());
        Assert.True(await second.MoveNextAsync());
        Assert.Equal(("orders/app", "orders/app"), (first.Current, second.Current));

        await firstStop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await first.MoveNextAsync());
        await secondStop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await second.MoveNextAsync());
        await source.Stopped.Task.WaitAsync(Ct);

        Assert.Equal(1, source.Starts);
    }

    /// <summary>A source that says it is live, publishes on demand, and records being started and stopped.</summary>
    private sealed class FakeSource
    {
        private Action<string?>? _publish;

        public int Starts;

        public TaskCompletionSource Stopped { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Publish(string name) => _publish!(name);

        public async Task RunAsync(Action<string?> publish, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Starts);
            _publish = publish;
            publish(null);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            finally
            {
                Stopped.TrySetResult();
            }
        }
    }
}

using System.Collections.Concurrent;
using Npgsql;
using PgRotate.Client;

namespace PgRotate.Tests.Client;

/// <summary>
/// Workers that open a connection through the data source and ask who they are, over and over, until stopped:
/// what a service under load does. Every failure is kept, every login seen is counted.
/// </summary>
internal sealed class QueryWorkers : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;
    private long _queries;
    private Milestone? _milestone;

    public QueryWorkers(PgRotateDataSource dataSource, int count)
    {
        _workers = [.. Enumerable.Range(0, count).Select(_ => Task.Run(() => RunAsync(dataSource)))];
    }

    public ConcurrentQueue<Exception> Failures { get; } = new();

    public ConcurrentDictionary<string, long> Logins { get; } = new(StringComparer.Ordinal);

    public long Queries => Interlocked.Read(ref _queries);

    /// <summary>Completes once the workers together have run <paramref name="more"/> queries beyond what they had run when called.</summary>
    public Task RunMoreAsync(long more, CancellationToken cancellationToken)
    {
        var waiter = new Milestone(Queries + more);
        Volatile.Write(ref _milestone, waiter);
        if (Queries >= waiter.Target)
        {
            waiter.Reached.TrySetResult();
        }

        return waiter.Reached.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
        _stop.Dispose();
    }

    private async Task RunAsync(PgRotateDataSource dataSource)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(_stop.Token);
                await using var command = new NpgsqlCommand("SELECT session_user", connection);
                var login = (string)(await command.ExecuteScalarAsync(_stop.Token))!;
                Logins.AddOrUpdate(login, 1, (_, n) => n + 1);
                var done = Interlocked.Increment(ref _queries);
                if (Volatile.Read(ref _milestone) is { } milestone && done >= milestone.Target)
                {
                    milestone.Reached.TrySetResult();
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Failures.Enqueue(e);
            }
        }
    }

    private sealed record Milestone(long Target)
    {
        public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

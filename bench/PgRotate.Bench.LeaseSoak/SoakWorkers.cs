using System.Diagnostics;
using Npgsql;
using PgRotate.Client;

namespace PgRotate.Bench.LeaseSoak;

/// <summary>Workers that open a connection through the data source and run one query, over and over, timing each.</summary>
internal sealed class SoakWorkers
{
    private readonly List<double>[] _latencies;
    private readonly Task[] _workers;
    private long _failed;
    private string? _firstFailure;

    public SoakWorkers(PgRotateDataSource dataSource, int count, CancellationToken stop)
    {
        _latencies = [.. Enumerable.Range(0, count).Select(_ => new List<double>())];
        _workers = [.. _latencies.Select(latencies => Task.Run(() => RunAsync(dataSource, latencies, stop)))];
    }

    public long Failed => Interlocked.Read(ref _failed);

    public string? FirstFailure => Volatile.Read(ref _firstFailure);

    public Task Completion => Task.WhenAll(_workers);

    /// <summary>Latencies of the queries that succeeded, in milliseconds, sorted; read after <see cref="Completion"/>.</summary>
    public double[] SortedLatencies() => [.. _latencies.SelectMany(l => l).Order()];

    private async Task RunAsync(PgRotateDataSource dataSource, List<double> latencies, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stop);
                await using var command = new NpgsqlCommand("SELECT session_user", connection);
                await command.ExecuteScalarAsync(stop);
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or PgRotateApiException or InvalidOperationException)
            {
                Interlocked.Increment(ref _failed);
                Interlocked.CompareExchange(ref _firstFailure, e.Message, null);
            }
        }
    }
}

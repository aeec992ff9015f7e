using System.Data.Common;

namespace PgRotate.Cli.Commands.Demo;

/// <summary>
/// Everything that uses the secret while it rotates, and the rotations themselves: the .NET workers (each with its own
/// client data source, as separate service instances would have), the pgbench runs (through the service file, and
/// through pgbouncer), the rotation driver and the switch-over tracker. The live view and the summary read their counters.
/// </summary>
internal sealed class DemoConsumers : IAsyncDisposable
{
    private readonly List<DbDataSource> _dataSources;

    public DemoConsumers(IReadOnlyList<DbDataSource> dataSources, PgBenchRunner? serviceFile, DemoPgBouncer? pgBouncer, RotationDriver driver, SwitchOverTracker? switchOver, SwitchOverTracker? notification, LatencyHistogram latencies, TimeProvider time)
    {
        _dataSources = [.. dataSources];
        Workers = [.. dataSources.Select((source, i) => new QueryWorker(i, source, latencies, switchOver, time))];
        ServiceFile = serviceFile;
        PgBouncer = pgBouncer;
        PgBench = [.. new[] { serviceFile, pgBouncer?.PgBench }.OfType<PgBenchRunner>()];
        Driver = driver;
        SwitchOver = switchOver;
        Notification = notification;
        Latencies = latencies;
    }

    public IReadOnlyList<QueryWorker> Workers { get; }

    /// <summary>pgbench -C through the service file the agent keeps current; null when no pgbench is installed.</summary>
    public PgBenchRunner? ServiceFile { get; }

    /// <summary>pgbench through pgbouncer, which the agent keeps current; null when it does not run.</summary>
    public DemoPgBouncer? PgBouncer { get; }

    /// <summary>Every pgbench run, the two above.</summary>
    public IReadOnlyList<PgBenchRunner> PgBench { get; }

    /// <summary>Failed transactions and connections of every pgbench run.</summary>
    public long PgBenchFailed => PgBench.Sum(b => b.TransactionsFailed + b.ConnectionsFailed);
    public RotationDriver Driver { get; }

    /// <summary>Null for a single secret: its login never changes, so there is no moving over to time.</summary>
    public SwitchOverTracker? SwitchOver { get; }

    /// <summary>
    /// The client's part of the switch-over: until every worker's data source had moved to the new login (its
    /// long-poll answered), before any connection was opened with it. Null for a single secret, as above.
    /// </summary>
    public SwitchOverTracker? Notification { get; }

    public LatencyHistogram Latencies { get; }
    public long QueriesOk => Workers.Sum(w => w.Ok);
    public long QueriesFailed => Workers.Sum(w => w.Failed);

    public async ValueTask DisposeAsync()
    {
        foreach (var source in _dataSources)
        {
            await source.DisposeAsync();
        }
    }
}

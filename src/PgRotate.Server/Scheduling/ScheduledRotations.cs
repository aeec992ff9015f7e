using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PgRotate.Scheduling;
using PgRotate.Server.Hosting;
using PgRotate.Server.Metrics;
using PgRotate.Store;

namespace PgRotate.Server.Scheduling;

/// <summary>
/// The scheduler inside the server: the core's <see cref="SchedulerLoop"/> (the same tick as <c>rotate --all-due</c>),
/// which sleeps until the next secret is due, at most <see cref="ServerSettings.SchedulerInterval"/>, catches up a
/// backlog <see cref="ServerSettings.SchedulerParallel"/> at a time, and backs off a failing secret. Each rotation it
/// makes wakes its watchers and counts in the metrics; the engine audits it as the scheduler's. Stopping cancels the
/// loop; a rotation cut short that way is resumed by the next run, as after any interruption.
/// </summary>
internal sealed class ScheduledRotations(
    ISecretStore store, ServerRotations rotations, ServerMetrics metrics, ServerSettings settings, TimeProvider time, ILoggerFactory logs) : BackgroundService
{
    public const string Actor = "scheduler";

    /// <summary>The loop's view of each secret it tried (last outcome, failures in a row, next attempt); empty before the first tick.</summary>
    public IReadOnlyList<ScheduledSecretStatus> Status() => _loop?.Status() ?? [];

    private SchedulerLoop? _loop;

    /// <summary>Raised after each tick, once its rotations and failures are counted and its status is visible in <see cref="Status"/>.</summary>
    public event EventHandler<DueRun>? TickFinished;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var scheduler = store.WithActor(Actor);
        await using var closeScheduler = scheduler.ConfigureAwait(false);
        var loop = new SchedulerLoop(rotations.Engine(scheduler), scheduler, time,
            new SchedulerOptions { Parallel = settings.SchedulerParallel, MaxSleep = settings.SchedulerInterval }, logs.CreateLogger<SchedulerLoop>());
        loop.TickFinished += (_, run) =>
        {
            foreach (var result in run.Rotated)
            {
                rotations.Succeeded(result, "schedule", result.Elapsed);
            }

            foreach (var failure in run.Failed)
            {
                rotations.Failed(failure.Error, "schedule");
            }

            _ticks.Writer.TryWrite(run);
            TickFinished?.Invoke(this, run);
        };
        _loop = loop;
        var refreshing = RefreshNextRotationsAsync(scheduler, _ticks.Reader, stoppingToken);
        await loop.RunAsync(stoppingToken).ConfigureAwait(false);
        _ticks.Writer.TryComplete();
        await refreshing.ConfigureAwait(false);
    }

    // The tick event is synchronous; reading every secret's next time from the store is not, so it runs here, once
    // per tick however many ticks came meanwhile.
    private readonly Channel<DueRun> _ticks = Channel.CreateBounded<DueRun>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });

    private async Task RefreshNextRotationsAsync(ISecretStore scheduler, ChannelReader<DueRun> reader, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var _ in reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    metrics.NextRotationsAre((await scheduler.ListSecretsAsync(cancellationToken).ConfigureAwait(false)).Select(s => (s.Name, s.NextRotationAt)));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A store that cannot be read now leaves the gauge as it was; the scheduler logs the store's trouble itself.
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}

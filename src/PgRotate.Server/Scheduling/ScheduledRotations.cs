using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PgRotate.Scheduling;
using PgRotate.Server.Hosting;
using PgRotate.Server.Metrics;
using PgRotate.Store;

namespace PgRotate.Server.Scheduling;

/// <summary>
/// The scheduler inside the server: at start and then every <see cref="ServerSettings.SchedulerInterval"/> (on the
/// server's <see cref="TimeProvider"/>), one <see cref="DueRotations"/> tick, the same as <c>rotate --all-due</c>. Each
/// rotation it makes wakes its watchers and is audited as the scheduler's. Stopping cancels a tick; a rotation cut
/// short that way is resumed by the next run, as after any interruption.
/// </summary>
internal sealed partial class ScheduledRotations(
    ISecretStore store, ServerRotations rotations, ServerMetrics metrics, ServerSettings settings, TimeProvider time, ILogger<ScheduledRotations> logger) : BackgroundService
{
    public const string Actor = "scheduler";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var scheduler = store.WithActor(Actor);
        await using var closeScheduler = scheduler.ConfigureAwait(false);
        using var timer = new PeriodicTimer(settings.SchedulerInterval, time);
        try
        {
            do
            {
                await TickAsync(scheduler, stoppingToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task TickAsync(ISecretStore scheduler, CancellationToken cancellationToken)
    {
        try
        {
            var started = time.GetTimestamp();
            var run = await new DueRotations(rotations.Engine(scheduler), scheduler).RunAsync(settings.SchedulerParallel, cancellationToken).ConfigureAwait(false);
            foreach (var result in run.Rotated)
            {
                await rotations.SucceededAsync(scheduler, result, "schedule", null, result.Elapsed, cancellationToken).ConfigureAwait(false);
            }

            foreach (var failure in run.Failed)
            {
                TickFailed(logger, failure.Secret, failure.Error is Errors.PgRotateException known ? known.Message : Postgres.PostgresErrors.Scrub(failure.Error.Message));
                await rotations.FailedAsync(scheduler, failure.Secret, failure.Error, "schedule", null, cancellationToken).ConfigureAwait(false);
            }

            if (run.Rotated.Count + run.Failed.Count > 0)
            {
                TickDone(logger, run.Rotated.Count, run.Failed.Count, time.GetElapsedTime(started).TotalMilliseconds);
            }

            metrics.NextRotationsAre((await scheduler.ListSecretsAsync(cancellationToken).ConfigureAwait(false)).Select(s => (s.Name, s.NextRotationAt)));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // One bad tick (store briefly unreachable) must not end the scheduler: the next tick tries again.
            TickFailed(logger, "(all)", e is Errors.PgRotateException known ? known.Message : Postgres.PostgresErrors.Scrub(e.Message));
        }
    }

    [LoggerMessage(LogLevel.Warning, "scheduled rotation of {Secret} failed: {Problem}")]
    private static partial void TickFailed(ILogger logger, string secret, string problem);

    [LoggerMessage(LogLevel.Information, "scheduler: {Rotated} rotated, {Failed} failed in {Milliseconds:0} ms")]
    private static partial void TickDone(ILogger logger, int rotated, int failed, double milliseconds);
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PgRotate.Diagnostics;
using PgRotate.Postgres;
using PgRotate.Rotation;
using PgRotate.Store;

namespace PgRotate.Scheduling;

/// <summary>
/// The scheduler as a long-running loop (what a server runs instead of cron calling <c>rotate --all-due</c>): each tick
/// runs <see cref="DueRotations"/> with bounded parallelism, then sleeps until the next secret is due (or a backoff
/// ends), and at most <see cref="SchedulerOptions.MaxSleep"/>. A secret that fails is tried again after a pause that
/// doubles with each failure in a row, up to <see cref="SchedulerOptions.MaxBackoff"/>; the pause is written as the
/// secret's next rotation time, so it shows wherever that time is shown. Rotations take the store's rotation lock
/// through the engine, so replicas running this loop on one store never rotate a secret twice: the one that meets the
/// lock records <see cref="SchedulerOutcome.InProgress"/> and leaves it to the holder.
/// </summary>
public sealed class SchedulerLoop(
    RotationEngine engine,
    ISecretStore store,
    TimeProvider time,
    SchedulerOptions? options = null,
    ILogger<SchedulerLoop>? logger = null)
{
    private readonly SchedulerOptions _options = options ?? new SchedulerOptions();
    private readonly ILogger _logger = logger ?? (ILogger)NullLogger.Instance;
    private readonly ConcurrentDictionary<string, ScheduledSecretStatus> _status = new(StringComparer.Ordinal);

    /// <summary>Raised after each tick with what it did (for metrics, and for tests to follow the loop).</summary>
    public event EventHandler<DueRun>? TickFinished;

    /// <summary>Every secret the loop has tried, in name order: a snapshot, safe to read while the loop runs.</summary>
    public IReadOnlyList<ScheduledSecretStatus> Status() =>
        _status.Values.OrderBy(s => s.Secret, StringComparer.Ordinal).ToList();

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled; a rotation in flight then stops where the next run resumes it.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var tickStarted = time.GetUtcNow();
                var run = await TickAsync(cancellationToken).ConfigureAwait(false);
                var wake = await NextWakeAsync(tickStarted, cancellationToken).ConfigureAwait(false);
                var sleep = wake - time.GetUtcNow();
                // The sleep starts before the tick is announced: whoever reacts to it by moving the clock finds it waiting.
                var delay = sleep > TimeSpan.Zero ? Task.Delay(sleep, time, cancellationToken) : Task.CompletedTask;
                if (run is not null)
                {
                    TickFinished?.Invoke(this, run);
                }

                await delay.ConfigureAwait(false);
                // A timer counts on its own clock and may end a moment before the wall clock reaches the wake time; a
                // tick then would find the secret not yet due and sleep until the next look. Wait out the rest.
                if (wake - time.GetUtcNow() is var rest && rest > TimeSpan.Zero)
                {
                    await Task.Delay(rest, time, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped on purpose.
        }
    }

    /// <summary>One tick; null when the store could not be read (logged, and tried again on the next tick).</summary>
    private async Task<DueRun?> TickAsync(CancellationToken cancellationToken)
    {
        var started = time.GetUtcNow();
        DueRun run;
        try
        {
            run = await new DueRotations(engine, store, time).RunAsync(_options.Parallel, name => !IsBackingOff(name, started), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.SchedulerTickFailed(_logger, PostgresErrors.Translate(e, "scheduler").Message);
            return null;
        }

        var now = time.GetUtcNow();
        foreach (var rotated in run.Rotated)
        {
            _status[rotated.Secret] = new ScheduledSecretStatus(rotated.Secret, SchedulerOutcome.Rotated, now, 0, null, null);
        }

        foreach (var secret in run.InProgress)
        {
            _status[secret] = new ScheduledSecretStatus(secret, SchedulerOutcome.InProgress, now, Failures(secret), null, null);
        }

        foreach (var waiting in run.WaitingForGrace)
        {
            _status[waiting.Secret] = new ScheduledSecretStatus(waiting.Secret, SchedulerOutcome.WaitingForGrace, now, Failures(waiting.Secret), waiting.Until, null);
        }

        foreach (var (secret, error) in run.Failed)
        {
            var failures = Failures(secret) + 1;
            var retryAt = now + Backoff(failures);
            var message = PostgresErrors.Translate(error, $"rotation of {secret}").Message;
            _status[secret] = new ScheduledSecretStatus(secret, SchedulerOutcome.Failed, now, failures, retryAt, message);
            Log.SchedulerBackingOff(_logger, secret, failures, retryAt, message);
            try
            {
                await store.PostponeRotationAsync(secret, retryAt, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The backoff still holds in this process; only its display in the store is missing.
                Log.SchedulerTickFailed(_logger, PostgresErrors.Translate(e, $"recording the next attempt at {secret}").Message);
            }
        }

        return run;
    }

    /// <summary>The pause after <paramref name="failures"/> failures in a row: doubling from the first, capped.</summary>
    internal TimeSpan Backoff(int failures)
    {
        var pause = _options.FirstBackoff;
        for (var i = 1; i < failures && pause < _options.MaxBackoff; i++)
        {
            pause += pause;
        }

        return pause < _options.MaxBackoff ? pause : _options.MaxBackoff;
    }

    private int Failures(string secret) => _status.TryGetValue(secret, out var status) ? status.ConsecutiveFailures : 0;

    private bool IsBackingOff(string secret, DateTimeOffset now) =>
        _status.TryGetValue(secret, out var status) && status.LastOutcome == SchedulerOutcome.Failed && status.NextAttemptAt > now;

    /// <summary>
    /// The earliest of: the next secret's scheduled time, the end of a backoff or grace, now + the longest sleep; or now,
    /// when a secret fell due while the tick that started at <paramref name="tickStarted"/> ran (that tick listed the
    /// due secrets at its start and did not see it). Only those: a secret due before the tick was the tick's to handle,
    /// and one it left alone (outside its window, say) must not make the loop spin.
    /// </summary>
    private async Task<DateTimeOffset> NextWakeAsync(DateTimeOffset tickStarted, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var wake = now + _options.MaxSleep;
        try
        {
            foreach (var secret in await store.ListSecretsAsync(cancellationToken).ConfigureAwait(false))
            {
                if (secret.NextRotationAt is not { } next || IsBackingOff(secret.Name, now))
                {
                    continue;
                }

                if (next > tickStarted && next <= now)
                {
                    return now;
                }

                if (next > now && next < wake)
                {
                    wake = next;
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.SchedulerTickFailed(_logger, PostgresErrors.Translate(e, "scheduler").Message);
        }

        foreach (var status in _status.Values)
        {
            if (status.NextAttemptAt is { } attempt && attempt > now && attempt < wake)
            {
                wake = attempt;
            }
        }

        return wake;
    }
}

using Microsoft.Extensions.Logging;
using PgRotate.Diagnostics;
using PgRotate.Postgres;

namespace PgRotate.Rotation;

/// <summary>
/// Retries a step on transient failures (server restarting, dropped connection, <c>tuple concurrently updated</c>)
/// with exponential backoff, for up to <see cref="RotationOptions.RetryFor"/>.
/// </summary>
internal sealed class Retry(TimeProvider time, ILogger logger, TimeSpan retryFor)
{
    public async Task<T> RunAsync<T>(string secret, RotationStep step, Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(50);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await action(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (PostgresErrors.IsTransient(e) && time.GetElapsedTime(started) + delay < retryFor && !cancellationToken.IsCancellationRequested)
            {
                Log.StepRetried(logger, secret, step, attempt, (long)delay.TotalMilliseconds, PostgresErrors.Scrub(e.Message));
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
            }
        }
    }

    public Task RunAsync(string secret, RotationStep step, Func<CancellationToken, Task> action, CancellationToken cancellationToken) =>
        RunAsync<bool>(secret, step, async ct =>
        {
            await action(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);
}

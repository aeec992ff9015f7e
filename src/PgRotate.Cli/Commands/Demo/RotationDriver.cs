using PgRotate.Contracts;

namespace PgRotate.Cli.Commands.Demo;

/// <summary>
/// Rotates the demo's secret through the API every <c>--rotate-every</c>, as an operator or a schedule would, and tells
/// the switch-over trackers the moment each rotation's answer arrives.
/// </summary>
internal sealed class RotationDriver(DemoApi api, TimeSpan every, IReadOnlyList<SwitchOverTracker> trackers, TimeProvider time)
{
    private int _done;
    private int _failed;
    private string? _currentLogin;

    public int Done => Volatile.Read(ref _done);
    public int Failed => Volatile.Read(ref _failed);
    public string? CurrentLogin => Volatile.Read(ref _currentLogin);
    public string? LastError { get; private set; }
    public LatencyHistogram Durations { get; } = new();

    /// <summary>
    /// Rotates until <paramref name="stopping"/> is cancelled. A rotation under way then still finishes, so that the
    /// pattern's checks after the run see a settled secret (a rotation cancelled half-way has given the previous login
    /// a new password that is not current yet); only <paramref name="abort"/> (Ctrl-C) cuts it short.
    /// </summary>
    public async Task RunAsync(string initialLogin, CancellationToken stopping, CancellationToken abort)
    {
        Volatile.Write(ref _currentLogin, initialLogin);
        using var timer = new PeriodicTimer(every, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                var started = time.GetTimestamp();
                RotationResult result;
                try
                {
                    result = await api.RotateAsync(abort);
                }
                catch (HttpRequestException e)
                {
                    Interlocked.Increment(ref _failed);
                    LastError = e.Message;
                    continue;
                }

                Durations.Record(time.GetElapsedTime(started));
                foreach (var tracker in trackers)
                {
                    tracker.RotationAnswered(result.Username);
                }

                Volatile.Write(ref _currentLogin, result.Username);
                Interlocked.Increment(ref _done);
            }
        }
        // Either token: on Ctrl-C the rotation under way may see its cancellation before the linked stop token is set.
        catch (OperationCanceledException) when (stopping.IsCancellationRequested || abort.IsCancellationRequested)
        {
            // The run is over; a rotation cut short is finished by the server or by the next rotation.
        }
    }
}

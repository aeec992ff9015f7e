using System.Diagnostics;
using PgRotate.Rotation;

namespace PgRotate.Bench;

/// <summary>
/// The latency of one alternating rotation with one store: the whole rotation and each step (timed from the engine's
/// step hooks, to show where a rotation's time goes), with floor samples interleaved so that a noisy neighbour or a
/// slow moment weighs on the rotation and the floor alike.
/// </summary>
internal sealed class StoreLatency
{
    // The first rotations warm up connections, pools and JIT; they are run but not recorded.
    private const int WarmUp = 10;

    private long _stepStarted;
    private bool _recording;

    public StoreLatency(string storeName, string wholeName)
    {
        StoreName = storeName;
        Whole = new Stats(wholeName);
        Steps = Enum.GetValues<RotationStep>().ToDictionary(s => s, s => new Stats($"  step {s.ToString().ToLowerInvariant()}"));
        Hooks = new RotationHooks
        {
            AfterStep = (_, step, _) =>
            {
                if (_recording) Steps[step].Add(Stopwatch.GetElapsedTime(_stepStarted).TotalMilliseconds);
                _stepStarted = Stopwatch.GetTimestamp();
                return ValueTask.CompletedTask;
            },
        };
    }

    public string StoreName { get; }
    public Stats Whole { get; }
    public IReadOnlyDictionary<RotationStep, Stats> Steps { get; }

    /// <summary>Give these to the engine that <see cref="MeasureAsync"/> runs, so that the steps are timed.</summary>
    public RotationHooks Hooks { get; }

    public async Task MeasureAsync(RotationEngine engine, string secret, Floor floor, int rotations, CancellationToken cancellationToken)
    {
        for (var i = 0; i < rotations + WarmUp; i++)
        {
            _recording = i >= WarmUp;
            await floor.SampleAsync(record: _recording);
            var started = Stopwatch.GetTimestamp();
            _stepStarted = started;
            // Back to back, inside the previous rotation's grace: --force, as the CLI would need.
            await engine.RotateAsync(new RotationRequest(secret, Force: true), cancellationToken);
            if (_recording) Whole.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }
}

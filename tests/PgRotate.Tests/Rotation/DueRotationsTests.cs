using PgRotate.Postgres;
using PgRotate.Rotation;
using PgRotate.Scheduling;
using PgRotate.Secrets;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary>The scheduler tick in the core: bounded parallelism, and a bound that cannot be switched off by mistake.</summary>
public sealed class DueRotationsTests(PostgresFixture postgres)
{
    [Fact]
    public async Task No_more_rotations_run_at_once_than_the_parallelism_allows()
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = CliSandbox.FakeTime();
        using var sandbox = await new CliSandbox(postgres, clock).InitializedWithTargetAsync();
        var names = Enumerable.Range(1, 5).Select(i => $"due{i}/app").ToList();
        foreach (var name in names)
        {
            (await sandbox.RunAsync("secret", "add", name, "--target", sandbox.TargetName, "--group", Unique.Name("app"), "--every", "1h")).Ok();
        }

        clock.Advance(TimeSpan.FromMinutes(61));
        var running = 0;
        var most = 0;
        var twoRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hooks = new RotationHooks
        {
            AfterStep = async (_, step, stepCt) =>
            {
                if (step == RotationStep.Create)
                {
                    var now = Interlocked.Increment(ref running);
                    InterlockedMax(ref most, now);
                    if (now == 2)
                    {
                        twoRunning.TrySetResult();
                    }

                    // Each rotation holds its place until a second one runs beside it: an unbounded run would let all
                    // five in here at once.
                    await twoRunning.Task.WaitAsync(stepCt);
                }
                else if (step == RotationStep.Finish)
                {
                    Interlocked.Decrement(ref running);
                }
            },
        };
        var store = await sandbox.OpenStoreAsync();
        await using var connector = new TargetConnector();
        var engine = new RotationEngine(store, connector, clock, hooks: hooks);

        var run = await new DueRotations(engine, store).RunAsync(2, ct);

        Assert.Empty(run.Failed);
        Assert.Equal(names, run.Rotated.Select(r => r.Secret));
        Assert.Equal(2, most);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public async Task A_parallelism_below_one_is_refused_before_anything_rotates(int parallel)
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = CliSandbox.FakeTime();
        using var sandbox = await new CliSandbox(postgres, clock).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", "due/app", "--target", sandbox.TargetName, "--group", Unique.Name("app"), "--every", "1h")).Ok();
        clock.Advance(TimeSpan.FromMinutes(61));
        var store = await sandbox.OpenStoreAsync();
        await using var connector = new TargetConnector();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => new DueRotations(new RotationEngine(store, connector, clock), store).RunAsync(parallel, ct));

        Assert.Equal(1, (await store.FindVersionAsync("due/app", Stage.Current, ct))!.Number);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (var seen = Volatile.Read(ref target); value > seen; seen = Volatile.Read(ref target))
        {
            if (Interlocked.CompareExchange(ref target, value, seen) == seen)
            {
                break;
            }
        }
    }
}

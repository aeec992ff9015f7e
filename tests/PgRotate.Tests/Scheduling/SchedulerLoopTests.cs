using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using PgRotate.Crypto;
using PgRotate.Postgres;
using PgRotate.Rotation;
using PgRotate.Scheduling;
using PgRotate.Secrets;
using PgRotate.Store;
using PgRotate.Store.Sqlite;
using PgRotate.Tests.Store;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Scheduling;

/// <summary>
/// <see cref="SchedulerLoop"/> against real rotations on the test cluster: it rotates a secret when its time comes and
/// not before, catches up a backlog at most P at a time, backs off a failing secret (showing the next attempt in the
/// store) and tries it again later; and one run on the real clock.
/// </summary>
public sealed class SchedulerLoopTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_due_secret_rotates_when_its_time_comes_and_not_before()
    {
        var time = CliSandbox.FakeTime();
        using var sandbox = await new CliSandbox(postgres, time).InitializedWithTargetAsync();
        var secret = await AddAsync(sandbox, "--every", "1h");
        await using var scheduler = await SchedulerAsync(sandbox, time, new SchedulerOptions { MaxSleep = TimeSpan.FromMinutes(10) });

        var first = await scheduler.NextTickAsync();
        time.Advance(TimeSpan.FromMinutes(50));
        var beforeDue = await scheduler.NextTickAsync();
        var versionBeforeDue = await CurrentVersionAsync(scheduler.Store, secret);
        time.Advance(TimeSpan.FromMinutes(10));
        var atDue = await scheduler.NextTickAsync();

        Assert.Empty(first.Rotated);
        Assert.Empty(beforeDue.Rotated);
        Assert.Equal(1, versionBeforeDue);
        Assert.Equal([secret], atDue.Rotated.Select(r => r.Secret));
        Assert.Equal(2, await CurrentVersionAsync(scheduler.Store, secret));
        var status = Assert.Single(scheduler.Loop.Status());
        Assert.Equal((secret, SchedulerOutcome.Rotated, 0), (status.Secret, status.LastOutcome, status.ConsecutiveFailures));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_secret_that_falls_due_during_a_tick_is_rotated_by_the_next_tick_at_once()
    {
        var time = CliSandbox.FakeTime();
        using var sandbox = await new CliSandbox(postgres, time).InitializedWithTargetAsync();
        var first = await AddAsync(sandbox, "--every", "1h");
        time.Advance(TimeSpan.FromMinutes(30));
        var second = await AddAsync(sandbox, "--every", "1h");
        // While the first secret rotates, the clock passes the second one's due time: the tick that is running listed
        // the due secrets before that, so only the loop's next look can find it.
        var hooks = new RotationHooks
        {
            AfterStep = (secret, step, _) =>
            {
                if (secret == first && step == RotationStep.Create)
                {
                    time.Advance(TimeSpan.FromMinutes(31));
                }

                return ValueTask.CompletedTask;
            },
        };
        await using var scheduler = await SchedulerAsync(sandbox, time, new SchedulerOptions { MaxSleep = TimeSpan.FromDays(1) }, hooks);

        var idle = await scheduler.NextTickAsync();
        time.Advance(TimeSpan.FromMinutes(30));
        var firstDue = await scheduler.NextTickAsync();
        // No clock move here: with a day's MaxSleep, a loop that slept until its next look would never tick again.
        var secondDue = await scheduler.NextTickAsync().WaitAsync(TestContext.Current.CancellationToken);

        Assert.Empty(idle.Rotated);
        Assert.Equal([first], firstDue.Rotated.Select(r => r.Secret));
        Assert.Equal([second], secondDue.Rotated.Select(r => r.Secret));
    }

    [Fact]
    public async Task A_backlog_after_downtime_is_caught_up_at_most_P_rotations_at_once()
    {
        var time = CliSandbox.FakeTime();
        using var sandbox = await new CliSandbox(postgres, time).InitializedWithTargetAsync();
        var secrets = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            secrets.Add(await AddAsync(sandbox, "--every", "1h"));
        }

        time.Advance(TimeSpan.FromHours(3));
        var active = 0;
        var most = 0;
        // The first rotation waits for a second to start, so the bound is reached, not merely respected by running one at a time.
        var two = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hooks = new RotationHooks
        {
            AfterStep = async (_, step, ct) =>
            {
                if (step == RotationStep.Create)
                {
                    var now = Interlocked.Increment(ref active);
                    InterlockedMax(ref most, now);
                    if (now >= 2)
                    {
                        two.TrySetResult();
                    }

                    await two.Task.WaitAsync(ct);
                }
                else if (step == RotationStep.Finish)
                {
                    Interlocked.Decrement(ref active);
                }
            },
        };
        await using var scheduler = await SchedulerAsync(sandbox, time, new SchedulerOptions { Parallel = 2 }, hooks);

        var catchUp = await scheduler.NextTickAsync();

        Assert.Equal(secrets.Order(StringComparer.Ordinal), catchUp.Rotated.Select(r => r.Secret));
        Assert.Equal(2, most);
    }

    [Fact]
    public async Task A_failing_secret_backs_off_shows_its_next_attempt_and_is_retried_later()
    {
        var time = CliSandbox.FakeTime();
        using var sandbox = await new CliSandbox(postgres, time).InitializedWithTargetAsync();
        var gate = Unique.Name("gate");
        await postgres.ExecuteAsync($"CREATE TABLE {gate} (); GRANT SELECT ON {gate} TO PUBLIC");
        var secret = await AddAsync(sandbox, "--every", "1h", "--check-sql", $"SELECT * FROM {gate}");
        await postgres.ExecuteAsync($"DROP TABLE {gate}");
        time.Advance(TimeSpan.FromHours(1));
        var options = new SchedulerOptions { MaxSleep = TimeSpan.FromMinutes(2), FirstBackoff = TimeSpan.FromMinutes(5), MaxBackoff = TimeSpan.FromMinutes(8) };
        await using var scheduler = await SchedulerAsync(sandbox, time, options);

        var failed = await scheduler.NextTickAsync();
        var failedAt = time.GetUtcNow();
        var afterFirst = Assert.Single(scheduler.Loop.Status());
        var storedNext = (await scheduler.Store.GetSecretAsync(secret, Ct)).NextRotationAt;
        time.Advance(TimeSpan.FromMinutes(2));
        var duringBackoff = await scheduler.NextTickAsync();
        time.Advance(TimeSpan.FromMinutes(3));
        var retried = await scheduler.NextTickAsync();
        var afterSecond = Assert.Single(scheduler.Loop.Status());
        await postgres.ExecuteAsync($"CREATE TABLE {gate} (); GRANT SELECT ON {gate} TO PUBLIC");
        time.Advance(TimeSpan.FromMinutes(2));
        await scheduler.NextTickAsync();
        time.Advance(TimeSpan.FromMinutes(2));
        await scheduler.NextTickAsync();
        time.Advance(TimeSpan.FromMinutes(2));
        await scheduler.NextTickAsync();
        time.Advance(TimeSpan.FromMinutes(2));
        var recovered = await scheduler.NextTickAsync();

        Assert.Equal([secret], failed.Failed.Select(f => f.Secret));
        Assert.Equal((SchedulerOutcome.Failed, 1, failedAt + TimeSpan.FromMinutes(5)), (afterFirst.LastOutcome, afterFirst.ConsecutiveFailures, afterFirst.NextAttemptAt));
        Assert.Contains(gate, afterFirst.LastError, StringComparison.Ordinal);
        Assert.Equal(failedAt + TimeSpan.FromMinutes(5), storedNext);
        Assert.Empty(duringBackoff.Failed);
        Assert.Equal([secret], retried.Failed.Select(f => f.Secret));
        Assert.Equal((2, failedAt + TimeSpan.FromMinutes(5) + TimeSpan.FromMinutes(8)), (afterSecond.ConsecutiveFailures, afterSecond.NextAttemptAt));
        Assert.Equal([secret], recovered.Rotated.Select(r => r.Secret));
        Assert.Equal(0, Assert.Single(scheduler.Loop.Status()).ConsecutiveFailures);
    }

    [Fact]
    public void The_backoff_doubles_from_the_first_pause_and_stops_at_the_cap()
    {
        var loop = new SchedulerLoop(null!, null!, TimeProvider.System, new SchedulerOptions { FirstBackoff = TimeSpan.FromSeconds(30), MaxBackoff = TimeSpan.FromMinutes(3) });

        Assert.Equal([30, 60, 120, 180, 180], new[] { 1, 2, 3, 4, 40 }.Select(n => loop.Backoff(n).TotalSeconds));
    }

    [Fact]
    public async Task On_the_real_clock_the_loop_sleeps_until_a_secret_is_due_then_rotates_it()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var secret = await AddAsync(sandbox, "--every", "1h");
        var due = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(2);
        await sandbox.ExecuteAsync("UPDATE secrets SET next_rotation_at = $at", ("$at", SqliteSecretStore.Format(due)));
        await using var scheduler = await SchedulerAsync(sandbox, TimeProvider.System, new SchedulerOptions { MaxSleep = TimeSpan.FromMinutes(5) });

        var first = await scheduler.NextTickAsync();
        // The loop sleeps until the due time; a timer that fires a hair early (the system clock and the timer are not
        // the same clock) costs one empty tick and a short sleep more, never a five-minute one.
        var later = new List<DueRun>();
        do
        {
            later.Add(await scheduler.NextTickAsync());
        }
        while (later[^1].Rotated.Count == 0 && later.Count < 3);

        Assert.Empty(first.Rotated);
        Assert.Equal([secret], later[^1].Rotated.Select(r => r.Secret));
        Assert.True(DateTimeOffset.UtcNow >= due);
        await scheduler.StopAsync();
    }

    private static async Task<string> AddAsync(CliSandbox sandbox, params string[] options)
    {
        var name = "app/" + Unique.Name("s");
        (await sandbox.RunAsync(["secret", "add", name, "--target", sandbox.TargetName, "--group", Unique.Name("g"), .. options])).Ok();
        return name;
    }

    private static async Task<int?> CurrentVersionAsync(ISecretStore store, string secret) =>
        (await store.FindVersionAsync(secret, Stage.Current, Ct))?.Number;

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    private static async Task<RunningScheduler> SchedulerAsync(CliSandbox sandbox, TimeProvider time, SchedulerOptions options, RotationHooks? hooks = null)
    {
        var key = await MasterKey.ReadFileAsync(sandbox.KeyPath, Ct);
        var store = await PgRotate.Tests.Audit.TestStores.OpenAsync(new StoreLocation(StoreKind.Sqlite, sandbox.StorePath), key, time);
        var connector = new TargetConnector();
        // No retries: a retry would wait on the fake clock, which only the test moves.
        var engine = new RotationEngine(store, connector, time, new RotationOptions { RetryFor = TimeSpan.Zero }, hooks);
        return new RunningScheduler(new SchedulerLoop(engine, store, time, options), store, connector, key);
    }

    /// <summary>A loop running in the background, whose ticks the test takes one by one.</summary>
    private sealed class RunningScheduler : IAsyncDisposable
    {
        private readonly Channel<DueRun> _ticks = Channel.CreateUnbounded<DueRun>();
        private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        private readonly Task _running;
        private readonly TargetConnector _connector;
        private readonly MasterKey _key;

        public RunningScheduler(SchedulerLoop loop, ISecretStore store, TargetConnector connector, MasterKey key)
        {
            Loop = loop;
            Store = store;
            _connector = connector;
            _key = key;
            loop.TickFinished += (_, run) => _ticks.Writer.TryWrite(run);
            _running = Task.Run(() => loop.RunAsync(_stop.Token), Ct);
        }

        public SchedulerLoop Loop { get; }
        public ISecretStore Store { get; }

        public async Task<DueRun> NextTickAsync()
        {
            var next = _ticks.Reader.ReadAsync(Ct).AsTask();
            // A loop that died would otherwise leave the test waiting for a tick that never comes.
            Assert.True(await Task.WhenAny(next, _running) == next, $"the loop ended: {_running.Exception}");
            return await next;
        }

        /// <summary>Stops the loop; RunAsync returns quietly on cancellation.</summary>
        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await _running;
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            await Store.DisposeAsync();
            await _connector.DisposeAsync();
            _key.Dispose();
            _stop.Dispose();
        }
    }
}

using System.Diagnostics;
using PgRotate.Store;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary>
/// A real <c>pgrotate rotate</c> process killed with SIGKILL at random moments; each time the next run, from another
/// working folder sharing the store (another machine, for a store in PostgreSQL), must finish the rotation and leave the
/// secret in a state clients can use. Run once per kind of store. (<see cref="CrashRecoveryTests"/> kills after each step.)
/// </summary>
public abstract class RandomCrashTests(PostgresFixture postgres, StoreKind store)
{
    private const string Secret = "orders/app";
    private const int RandomKills = 40;

    /// <summary>Forty kills at random moments of a rotation; after each, the next run finishes what was started.</summary>
    /// <remarks>
    /// Kills land anywhere in a run: in the runtime's start-up, between steps, inside a store commit or a role change.
    /// The moments are spread over the length of an uninterrupted run of the same command, measured first: a child
    /// takes 100–300 ms to reach the rotation itself, so kills in the first 60 ms would only ever hit start-up. On a
    /// loaded machine runs get slower than the one measured, and every kill can land before the first store write; then
    /// up to as many kills again follow, each after measuring a fresh run and aimed at its later part, until one
    /// catches a rotation in flight.
    /// </remarks>
    [Fact]
    public async Task Rotations_killed_at_random_moments_are_finished_by_the_next_run()
    {
        using var sandbox = await (await postgres.SandboxAsync(store)).InitializedWithTargetAsync();
        using var next = sandbox.SharingStore();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group)).Ok();
        var runLength = await MeasureRunAsync(sandbox);
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);

        for (var kill = 0; kill < RandomKills || (kill < 2 * RandomKills && outcomes.GetValueOrDefault("left a pending version") == 0); kill++)
        {
            var delay = runLength * Random.Shared.NextDouble();
            if (kill >= RandomKills)
            {
                // Re-aimed: this moment's run length, and its later half, where the store writes are.
                runLength = await MeasureRunAsync(sandbox);
                delay = runLength * (0.5 + (0.5 * Random.Shared.NextDouble()));
            }

            var before = await SecretState.ReadAsync(next, Secret);

            using (var child = CliProcess.Start(sandbox, null, "rotate", Secret, "--force"))
            {
                await Task.Delay(delay, TestContext.Current.CancellationToken);
                child.Kill();
                var run = await child.WaitAsync();
                Assert.True(run.ExitCode is 0 or CliProcess.KilledExitCode, $"exit {run.ExitCode}, stderr: {run.Error}");
            }

            var crashed = await SecretState.ReadAsync(next, Secret);
            await SecretState.AssertCurrentWorksAsync(postgres, next, Secret, group);
            string outcome;
            if (crashed.Pending is { } pending)
            {
                outcome = "left a pending version";
                Assert.Equal(before.Current, crashed.Current);
                Assert.Equal(before.Highest + 1, pending.Number);
            }
            else if (crashed.Highest > before.Highest)
            {
                outcome = "promoted";
                Assert.Equal(before.Highest + 1, crashed.Current.Number);
            }
            else
            {
                outcome = "died before storing anything";
                Assert.Equal(before.Versions, crashed.Versions);
            }

            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            var resumed = await RotateRun.RunWaitingForTheLockAsync(next, Secret);
            Assert.Equal(crashed.Pending is not null, resumed.Resumed);
            Assert.Equal(crashed.Pending?.Number ?? crashed.Highest + 1, resumed.Version);
            await SecretState.AssertSettledAsync(postgres, next, Secret, group);
        }

        var summary = $"{store} store, run length {runLength.TotalMilliseconds:0} ms; " + string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key}: {o.Value}"));
        TestContext.Current.TestOutputHelper?.WriteLine(summary);
        // Some kills must have hit a rotation in flight, or this test proved nothing about resuming.
        Assert.True(outcomes.GetValueOrDefault("left a pending version") > 0, summary);
    }

    /// <summary>How long an uninterrupted <c>rotate --force</c> process takes right now, start-up included.</summary>
    private static async Task<TimeSpan> MeasureRunAsync(CliSandbox sandbox)
    {
        var clock = Stopwatch.StartNew();
        (await CliProcess.RunAsync(sandbox, null, "rotate", Secret, "--force")).Ok();
        return clock.Elapsed;
    }
}

using System.Diagnostics;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary>
/// A real <c>pgrotate rotate</c> process killed with SIGKILL at random moments; each time the next run must finish the
/// rotation and leave the secret in a state clients can use. (<see cref="CrashRecoveryTests"/> kills after each step.)
/// </summary>
public sealed class RandomCrashTests(PostgresFixture postgres)
{
    private const string Secret = "orders/app";
    private const int RandomKills = 60;

    /// <summary>
    /// Kills land anywhere in a run: in the runtime's start-up, between steps, inside a store commit or a role change.
    /// The moments are spread over the length of an uninterrupted run of the same command, measured first: a child
    /// takes 100–300 ms to reach the rotation itself, so kills in the first 60 ms would only ever hit start-up.
    /// </summary>
    [Fact]
    public async Task Rotations_killed_at_random_moments_are_finished_by_the_next_run()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group)).Ok();
        var clock = Stopwatch.StartNew();
        (await CliProcess.RunAsync(sandbox, null, "rotate", Secret, "--force")).Ok();
        var runLength = clock.Elapsed;
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);

        for (var kill = 0; kill < RandomKills; kill++)
        {
            var before = await SecretState.ReadAsync(sandbox, Secret);
            var delay = runLength * Random.Shared.NextDouble();

            using (var child = CliProcess.Start(sandbox, null, "rotate", Secret, "--force"))
            {
                await Task.Delay(delay, TestContext.Current.CancellationToken);
                child.Kill();
                var run = await child.WaitAsync();
                Assert.True(run.ExitCode is 0 or CliProcess.KilledExitCode, $"exit {run.ExitCode}, stderr: {run.Error}");
            }

            var crashed = await SecretState.ReadAsync(sandbox, Secret);
            await SecretState.AssertCurrentWorksAsync(postgres, sandbox, Secret, group);
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
            var next = await RotateRun.RunAsync(sandbox, Secret);
            Assert.Equal(crashed.Pending is not null, next.Resumed);
            Assert.Equal(crashed.Pending?.Number ?? crashed.Highest + 1, next.Version);
            await SecretState.AssertSettledAsync(postgres, sandbox, Secret, group);
        }

        var summary = $"run length {runLength.TotalMilliseconds:0} ms; " + string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key}: {o.Value}"));
        TestContext.Current.TestOutputHelper?.WriteLine(summary);
        // Some kills must have hit a rotation in flight, or this test proved nothing about resuming.
        Assert.True(outcomes.GetValueOrDefault("left a pending version") > 0, summary);
    }
}

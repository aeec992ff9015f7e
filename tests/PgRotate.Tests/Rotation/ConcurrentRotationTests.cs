using System.Diagnostics;
using System.Text.Json;
using PgRotate.Rotation;
using PgRotate.Secrets;
using PgRotate.Tests.Support;
using PgRotate.Store.Sqlite;

namespace PgRotate.Tests.Rotation;

/// <summary>
/// Two real <c>pgrotate rotate</c> processes on one secret at once: they take turns (--wait) or one is refused
/// (exit 13), and never are two versions promoted from one starting point.
/// </summary>
public sealed class ConcurrentRotationTests(PostgresFixture postgres)
{
    private const string Secret = "orders/app";
    private const int Rounds = 4;

    [Fact]
    public async Task Two_processes_rotating_one_secret_with_wait_both_succeed_one_after_the_other()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group)).Ok();

        for (var round = 0; round < Rounds; round++)
        {
            var before = await SecretState.ReadAsync(sandbox, Secret);

            var runs = await RunTogetherAsync(sandbox, "rotate", Secret, "--wait", "30s", "--json", "--force");

            var versions = runs.Select(r => Assert.Single(RotateRun.Parse(r.Ok())).Version).Order().ToList();
            Assert.Equal([before.Highest + 1, before.Highest + 2], versions);
        }

        var after = await SecretState.AssertSettledAsync(postgres, sandbox, Secret, group);
        Assert.Equal(1 + (2 * Rounds), after.Current.Number);
        await AssertOneRotatedEventPerVersionAsync(sandbox, after);
    }

    [Fact]
    public async Task Two_processes_rotating_one_secret_without_wait_never_promote_two_versions()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group)).Ok();
        var succeeded = 0;

        for (var round = 0; round < Rounds; round++)
        {
            var before = await SecretState.ReadAsync(sandbox, Secret);

            var runs = await RunTogetherAsync(sandbox, "rotate", Secret, "--json", "--force");

            var won = runs.Where(r => r.ExitCode == 0).ToList();
            Assert.NotEmpty(won);
            foreach (var lost in runs.Where(r => r.ExitCode != 0))
            {
                Assert.Contains($"secret {Secret} is being rotated by another pgrotate process; use --wait", lost.FailsWith(13));
            }

            // Whoever won, the versions promoted in this round follow on from the last one, one each.
            Assert.Equal(Enumerable.Range(before.Highest + 1, won.Count), won.Select(r => Assert.Single(RotateRun.Parse(r.Out)).Version).Order());
            succeeded += won.Count;
        }

        var after = await SecretState.AssertSettledAsync(postgres, sandbox, Secret, group);
        Assert.Equal(1 + succeeded, after.Current.Number);
        await AssertOneRotatedEventPerVersionAsync(sandbox, after);
    }

    /// <summary>The lock is the kernel's (flock), so this test process can hold it against a child and see both outcomes for sure.</summary>
    [Fact]
    public async Task A_rotation_refuses_or_waits_for_a_secret_another_process_is_rotating()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group)).Ok();
        var ct = TestContext.Current.CancellationToken;
        CliProcess? waiting = null;
        try
        {
            await using (await new FileRotationLock(sandbox.StorePath + ".locks", TimeProvider.System).AcquireAsync(LockKey.Secret(Secret), null, ct))
            {
                waiting = CliProcess.Start(sandbox, null, "rotate", Secret, "--wait", "30s", "--json");
                var refused = await CliProcess.RunAsync(sandbox, null, "rotate", Secret);
                Assert.Equal($"pgrotate: secret {Secret} is being rotated by another pgrotate process; use --wait to wait for it", refused.FailsWith(13));

                var clock = Stopwatch.StartNew();
                var gaveUp = await CliProcess.RunAsync(sandbox, null, "rotate", Secret, "--wait", "1s");
                Assert.Equal($"pgrotate: secret {Secret} is being rotated by another pgrotate process; gave up after 1s", gaveUp.FailsWith(13));
                Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1), $"gave up after {clock.Elapsed}");

                // Started before the other two, it has had time to rotate several times over, but it is still waiting.
                Assert.False(waiting.HasExited);
                Assert.Single((await SecretState.ReadAsync(sandbox, Secret)).Versions);
            }

            Assert.Equal(2, Assert.Single(RotateRun.Parse((await waiting.WaitAsync()).Ok())).Version);
        }
        finally
        {
            waiting?.Dispose();
        }

        await SecretState.AssertSettledAsync(postgres, sandbox, Secret, group);
    }

    [Fact]
    public async Task A_secret_with_the_longest_allowed_name_rotates_and_is_locked_like_any_other()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        var name = "orders/" + new string('a', SecretName.MaxLength - "orders/".Length);
        (await sandbox.RunAsync("secret", "add", name, "--target", sandbox.TargetName, "--group", group)).Ok();

        Assert.Equal(2, (await RotateRun.RunAsync(sandbox, name)).Version);

        await using (await new FileRotationLock(sandbox.StorePath + ".locks", TimeProvider.System).AcquireAsync(LockKey.Secret(name), null, TestContext.Current.CancellationToken))
        {
            Assert.Contains("is being rotated by another pgrotate process", (await sandbox.RunAsync("rotate", name)).FailsWith(13));
        }

        await SecretState.AssertSettledAsync(postgres, sandbox, name, group);
    }

    private static async Task<CliRun[]> RunTogetherAsync(CliSandbox sandbox, params string[] args)
    {
        using var first = CliProcess.Start(sandbox, null, args);
        using var second = CliProcess.Start(sandbox, null, args);
        return await Task.WhenAll(first.WaitAsync(), second.WaitAsync());
    }

    /// <summary>History has exactly one "rotated" per successful run, after the first credential's "activated".</summary>
    private static async Task AssertOneRotatedEventPerVersionAsync(CliSandbox sandbox, SecretState state)
    {
        var history = JsonDocument.Parse((await sandbox.RunAsync("history", Secret, "--json")).Ok()).RootElement.EnumerateArray()
            .Where(e => e.GetProperty("event").GetString() is "rotated" or "activated")
            .Select(e => e.GetProperty("version").GetInt32());
        Assert.Equal(Enumerable.Range(1, state.Current.Number), history);
    }
}

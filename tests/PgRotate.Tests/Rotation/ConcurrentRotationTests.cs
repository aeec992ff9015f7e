using System.Diagnostics;
using System.Text.Json;
using PgRotate.Rotation;
using PgRotate.Secrets;
using PgRotate.Store;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary>
/// Rotators of one secret at once, from two working folders that share the store (two machines, for a store in
/// PostgreSQL: nothing shared on disk, only the store's address and the master key): they take turns (--wait) or one
/// is refused (exit 13), never are two versions promoted from one starting point, and clients never get a credential
/// that fails. Run once per kind of store.
/// </summary>
public abstract class ConcurrentRotationTests(PostgresFixture postgres, StoreKind store)
{
    private const string Secret = "orders/app";
    private const int Rounds = 4;

    /// <summary>
    /// Over 200 racing rotations for the store that machines share; fewer for the SQLite store, whose lock is the
    /// kernel's and whose race is the same one on a single machine, to keep the suite's time down.
    /// </summary>
    private int RacingRotationsEach => store == StoreKind.Postgres ? 110 : 40;

    [Fact]
    public async Task Two_processes_rotating_one_secret_with_wait_both_succeed_one_after_the_other()
    {
        var (first, second, group) = await TwoFoldersWithASecretAsync();
        using (first)
        using (second)
        {
            for (var round = 0; round < Rounds; round++)
            {
                var before = await SecretState.ReadAsync(first, Secret);

                var runs = await RunTogetherAsync(first, second, "rotate", Secret, "--wait", "30s", "--json", "--force");

                var versions = runs.Select(r => Assert.Single(RotateRun.Parse(r.Ok())).Version).Order().ToList();
                Assert.Equal([before.Highest + 1, before.Highest + 2], versions);
            }

            var after = await SecretState.AssertSettledAsync(postgres, second, Secret, group);
            Assert.Equal(1 + (2 * Rounds), after.Current.Number);
            await AssertOneRotatedEventPerVersionAsync(first, after);
        }
    }

    [Fact]
    public async Task Two_processes_rotating_one_secret_without_wait_never_promote_two_versions()
    {
        var (first, second, group) = await TwoFoldersWithASecretAsync();
        using (first)
        using (second)
        {
            var succeeded = 0;
            for (var round = 0; round < Rounds; round++)
            {
                var before = await SecretState.ReadAsync(first, Secret);

                var runs = await RunTogetherAsync(first, second, "rotate", Secret, "--json", "--force");

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

            var after = await SecretState.AssertSettledAsync(postgres, second, Secret, group);
            Assert.Equal(1 + succeeded, after.Current.Number);
            await AssertOneRotatedEventPerVersionAsync(first, after);
        }
    }

    /// <summary>This test process holds the store's own lock against a child, so it sees both outcomes for sure.</summary>
    [Fact]
    public async Task A_rotation_refuses_or_waits_for_a_secret_another_process_is_rotating()
    {
        using var sandbox = await (await postgres.SandboxAsync(store)).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group)).Ok();
        var ct = TestContext.Current.CancellationToken;
        CliProcess? waiting = null;
        try
        {
            await using (var opened = await sandbox.OpenConfiguredStoreAsync())
            await using (await opened.Locks.AcquireAsync(LockKey.Secret(Secret), null, ct))
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
        using var sandbox = await (await postgres.SandboxAsync(store)).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        var name = "orders/" + new string('a', SecretName.MaxLength - "orders/".Length);
        (await sandbox.RunAsync("secret", "add", name, "--target", sandbox.TargetName, "--group", group)).Ok();

        Assert.Equal(2, (await RotateRun.RunAsync(sandbox, name)).Version);

        await using (var opened = await sandbox.OpenConfiguredStoreAsync())
        await using (await opened.Locks.AcquireAsync(LockKey.Secret(name), null, TestContext.Current.CancellationToken))
        {
            Assert.Contains("is being rotated by another pgrotate process", (await sandbox.RunAsync("rotate", name)).FailsWith(13));
        }

        await SecretState.AssertSettledAsync(postgres, sandbox, name, group);
    }

    /// <summary>
    /// Two rotators, one per working folder, each rotating the same secret over and over with --wait while a client keeps
    /// fetching the current credential and logging in with it.
    /// </summary>
    [Fact]
    public async Task Two_rotators_racing_on_one_secret_promote_each_version_once_and_clients_always_log_in()
    {
        var (first, second, group) = await TwoFoldersWithASecretAsync();
        using (first)
        using (second)
        {
            using var done = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            var client = Task.Run(() => RunClientAsync([first, second], group, done.Token), TestContext.Current.CancellationToken);
            var rotators = await Task.WhenAll(RotateRepeatedlyAsync(first), RotateRepeatedlyAsync(second));
            await done.CancelAsync();
            var (logins, failures) = await client;

            // Every rotation promoted a version of its own, and together they are 2..n without a gap.
            var promoted = rotators.SelectMany(v => v).Order().ToList();
            Assert.Equal(Enumerable.Range(2, 2 * RacingRotationsEach), promoted);
            var state = await SecretState.AssertSettledAsync(postgres, second, Secret, group);
            Assert.Equal(1 + (2 * RacingRotationsEach), state.Current.Number);
            await AssertOneRotatedEventPerVersionAsync(second, state);
            Assert.Empty(failures);
            Assert.True(logins > 0);
            // The second folder only names the store: nothing of the store, its key or its locks is kept in it.
            Assert.Empty(Directory.EnumerateFileSystemEntries(second.Directory));
            if (store == StoreKind.Postgres)
            {
                Assert.Empty(Directory.EnumerateFileSystemEntries(first.Directory));
            }
        }
    }

    /// <summary>Two working folders sharing one store (<see cref="CliSandbox.SharingStore"/>), with a secret added.</summary>
    private async Task<(CliSandbox First, CliSandbox Second, string Group)> TwoFoldersWithASecretAsync()
    {
        var first = await (await postgres.SandboxAsync(store)).InitializedWithTargetAsync();
        var second = first.SharingStore();
        var group = Unique.Name("app");
        (await first.RunAsync("secret", "add", Secret, "--target", first.TargetName, "--group", group)).Ok();
        return (first, second, group);
    }

    private static async Task<CliRun[]> RunTogetherAsync(CliSandbox first, CliSandbox second, params string[] args)
    {
        using var one = CliProcess.Start(first, null, args);
        using var other = CliProcess.Start(second, null, args);
        return await Task.WhenAll(one.WaitAsync(), other.WaitAsync());
    }

    private async Task<List<int>> RotateRepeatedlyAsync(CliSandbox machine)
    {
        var versions = new List<int>();
        for (var i = 0; i < RacingRotationsEach; i++)
        {
            versions.Add(Assert.Single(RotateRun.Parse((await machine.RunAsync("rotate", Secret, "--json", "--force", "--wait", "60s")).Ok())).Version);
        }

        return versions;
    }

    /// <summary>
    /// A client that keeps fetching the current credential (from either folder) and logging in with it. A login that
    /// fails counts as a failure unless the credential was two rotations old by then (counting a pending one): the
    /// alternating pattern gives a login a new password on the rotation after next, so a client that slept through two
    /// rotations must fetch again.
    /// </summary>
    private async Task<(int Logins, List<string> Failures)> RunClientAsync(CliSandbox[] machines, string group, CancellationToken done)
    {
        var (logins, failures) = (0, new List<string>());
        for (var i = 0; !done.IsCancellationRequested; i++)
        {
            var machine = machines[i % machines.Length];
            var login = await ClientLogin.GetAsync(machine, Secret);
            var who = await ClientLogin.WhoAmIAsync(postgres, login);
            if (who == $"{login.Username}/{group}")
            {
                logins++;
                continue;
            }

            var now = await ClientLogin.GetAsync(machine, Secret);
            // The rotation after next gives this login its new password in its set step, before it is promoted: a
            // pending version two ahead explains the refusal as well as a current one does.
            var pending = await machine.RunAsync("get", Secret, "--stage", "pending");
            var pendingVersion = pending.ExitCode == 0 ? JsonDocument.Parse(pending.Out).RootElement.GetProperty("version").GetInt32() : 0;
            if (Math.Max(now.Version, pendingVersion) - login.Version < 2)
            {
                failures.Add($"version {login.Version} ({login.Username}): {who}; current is now {now.Version}");
            }
        }

        return (logins, failures);
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

using Npgsql;
using PgRotate.Postgres;
using PgRotate.Rotation;
using PgRotate.Store;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary>
/// A real <c>pgrotate rotate</c> process killed with SIGKILL (no finally block, no flush) right after each step of the
/// protocol; each time the next run, from another working folder sharing the store (another machine, for a store in
/// PostgreSQL), must take over the lock the dead one held, finish the rotation and leave the secret in a state
/// clients can use. Run once per kind of store. (<see cref="RandomCrashTests"/> kills at random moments.)
/// </summary>
public abstract class CrashRecoveryTests(PostgresFixture postgres, StoreKind store)
{
    private const string Secret = "orders/app";
    private const int KillsPerStep = 5;

    [Theory]
    [InlineData("create")]
    [InlineData("set")]
    [InlineData("test")]
    [InlineData("finish")]
    public async Task A_rotation_killed_after_a_step_is_finished_by_the_next_run(string step)
    {
        using var first = await (await postgres.SandboxAsync(store)).InitializedWithTargetAsync();
        using var second = first.SharingStore();
        var group = Unique.Name("app");
        (await first.RunAsync("secret", "add", Secret, "--target", first.TargetName, "--group", group)).Ok();

        for (var kill = 0; kill < KillsPerStep; kill++)
        {
            var before = await SecretState.ReadAsync(second, Secret);

            var killed = await CliProcess.RunAsync(first, step, "rotate", Secret, "--force");

            Assert.True(killed.ExitCode == CliProcess.KilledExitCode, $"the child should have died of SIGKILL after {step}; exit {killed.ExitCode}, stderr: {killed.Error}");
            Assert.Equal("", killed.Out);
            var crashed = await SecretState.ReadAsync(second, Secret);
            await SecretState.AssertCurrentWorksAsync(postgres, second, Secret, group);
            ClientLogin.Login? stored = null;
            if (step == "finish")
            {
                // Everything but the process exit happened: the new version is current and nothing is left pending.
                Assert.Null(crashed.Pending);
                Assert.Equal(before.Highest + 1, crashed.Current.Number);
            }
            else
            {
                Assert.Equal(before.Current, crashed.Current);
                var pending = Assert.IsType<SecretState.Version>(crashed.Pending);
                Assert.Equal(before.Highest + 1, pending.Number);
                Assert.NotEqual(before.Current.Username, pending.Username);
                stored = await ClientLogin.GetAsync(second, Secret, "pending");
                var who = await ClientLogin.WhoAmIAsync(postgres, stored);
                if (step == "create")
                {
                    // Stored before the server was touched: the login still has its old password (or no LOGIN yet).
                    Assert.StartsWith("28", who);
                }
                else
                {
                    Assert.Equal($"{pending.Username}/{group}", who);
                }
            }

            var resumed = await RotateRun.RunWaitingForTheLockAsync(second, Secret);

            if (step == "finish")
            {
                Assert.False(resumed.Resumed);
                Assert.Equal(before.Highest + 2, resumed.Version);
            }
            else
            {
                // The same pending version, with the same password, is carried on: no new one is generated.
                Assert.True(resumed.Resumed);
                Assert.Equal(crashed.Pending!.Number, resumed.Version);
                Assert.Equal(crashed.Pending.Username, resumed.Username);
                Assert.Equal(stored, await ClientLogin.GetAsync(second, Secret));
            }

            var after = await SecretState.AssertSettledAsync(postgres, second, Secret, group);
            Assert.Equal(resumed.Version, after.Current.Number);
        }
    }

    /// <summary>
    /// The scheduler's <c>rotate --all-due</c> finishes an interrupted rotation at its next run, not at the secret's next
    /// scheduled time: for a single role that got past set, the current credential does not work until then.
    /// </summary>
    [Fact]
    public async Task An_interrupted_rotation_is_resumed_by_the_next_all_due_run_before_its_scheduled_time()
    {
        var ct = TestContext.Current.CancellationToken;
        using var sandbox = await (await postgres.SandboxAsync(store)).InitializedWithTargetAsync();
        var role = Unique.Name("app1");
        (await sandbox.RunAsync("secret", "add", "legacy/app", "--strategy", "single", "--target", sandbox.TargetName, "--group", role, "--every", "30d")).Ok();
        var first = await ClientLogin.GetAsync(sandbox, "legacy/app");
        await using (var opened = await sandbox.OpenConfiguredStoreAsync())
        await using (var connector = new TargetConnector())
        {
            // The process "dies" right after set: the hook throws where FaultInjection would SIGKILL.
            var hooks = new RotationHooks { AfterStep = (_, step, _) => step == RotationStep.Set ? throw new OperationCanceledException("killed") : ValueTask.CompletedTask };
            await Assert.ThrowsAsync<OperationCanceledException>(() => new RotationEngine(opened, connector, TimeProvider.System, hooks: hooks).RotateAsync("legacy/app", ct));
        }

        Assert.Equal(PostgresErrorCodes.InvalidPassword, await ClientLogin.WhoAmIAsync(postgres, first));

        var resumed = Assert.Single(RotateRun.Parse((await sandbox.RunAsync("rotate", "--all-due", "--json")).Ok()));

        Assert.Equal(("legacy/app", 2, true), (resumed.Name, resumed.Version, resumed.Resumed));
        Assert.Equal($"{role}/{role}", await ClientLogin.WhoAmIAsync(postgres, await ClientLogin.GetAsync(sandbox, "legacy/app")));
        Assert.Equal("no secret is due for rotation", (await sandbox.RunAsync("rotate", "--all-due")).Ok().Trim());
    }
}

using System.Diagnostics;
using PgRotate.Cli;
using PgRotate.Crypto;
using PgRotate.Store.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary>
/// <c>pgrotate rotate</c> processes using a PostgreSQL store, killed with SIGKILL after each step and at random moments
/// (as <see cref="CrashRecoveryTests"/> and <see cref="RandomCrashTests"/> do with the SQLite store): each time another
/// machine's next run takes over the lock the dead one held, finishes the rotation, and leaves a credential that works.
/// </summary>
public sealed class PostgresStoreCrashTests(PostgresFixture postgres)
{
    private const string Secret = "orders/app";
    private const int KillsPerStep = 3;
    private const int RandomKills = 20;

    [Theory]
    [InlineData("create")]
    [InlineData("set")]
    [InlineData("test")]
    [InlineData("finish")]
    public async Task A_rotation_killed_after_a_step_is_finished_by_the_other_machines_next_run(string step)
    {
        var (first, second, group) = await TwoMachinesAsync();
        using (first)
        using (second)
        {
            for (var kill = 0; kill < KillsPerStep; kill++)
            {
                var before = await SecretState.ReadAsync(second, Secret);

                var killed = await CliProcess.RunAsync(first, step, "rotate", Secret, "--force");

                Assert.True(killed.ExitCode == CliProcess.KilledExitCode, $"the child should have died of SIGKILL after {step}; exit {killed.ExitCode}, stderr: {killed.Error}");
                var crashed = await SecretState.ReadAsync(second, Secret);
                await SecretState.AssertCurrentWorksAsync(postgres, second, Secret, group);
                Assert.Equal(step == "finish" ? null : before.Highest + 1, crashed.Pending?.Number);

                var resumed = await RotateAsync(second);

                Assert.Equal(step != "finish", resumed.Resumed);
                Assert.Equal(step == "finish" ? before.Highest + 2 : before.Highest + 1, resumed.Version);
                var after = await SecretState.AssertSettledAsync(postgres, second, Secret, group);
                Assert.Equal(resumed.Version, after.Current.Number);
            }
        }
    }

    [Fact]
    public async Task Rotations_killed_at_random_moments_are_finished_by_the_other_machines_next_run()
    {
        var (first, second, group) = await TwoMachinesAsync();
        using (first)
        using (second)
        {
            var clock = Stopwatch.StartNew();
            (await CliProcess.RunAsync(first, null, "rotate", Secret, "--force")).Ok();
            var runLength = clock.Elapsed;

            for (var kill = 0; kill < RandomKills; kill++)
            {
                var before = await SecretState.ReadAsync(second, Secret);
                using (var child = CliProcess.Start(first, null, "rotate", Secret, "--force"))
                {
                    await Task.Delay(runLength * Random.Shared.NextDouble(), TestContext.Current.CancellationToken);
                    child.Kill();
                    var run = await child.WaitAsync();
                    Assert.True(run.ExitCode is 0 or CliProcess.KilledExitCode, $"exit {run.ExitCode}, stderr: {run.Error}");
                }

                var crashed = await SecretState.ReadAsync(second, Secret);
                await SecretState.AssertCurrentWorksAsync(postgres, second, Secret, group);
                Assert.InRange(crashed.Highest, before.Highest, before.Highest + 1);

                var resumed = await RotateAsync(second);

                Assert.Equal(crashed.Pending is not null, resumed.Resumed);
                Assert.Equal(crashed.Highest + (crashed.Pending is null ? 1 : 0), resumed.Version);
                await SecretState.AssertSettledAsync(postgres, second, Secret, group);
            }
        }
    }

    /// <summary>
    /// The next run waits for the lock: the server releases a killed holder's lock when it sees the session end, which
    /// is not ordered with this process seeing the child exit. A lock that outlived its holder would fail it with exit 13.
    /// </summary>
    private static async Task<RotateRun> RotateAsync(CliSandbox machine) =>
        Assert.Single(RotateRun.Parse((await machine.RunAsync("rotate", Secret, "--json", "--force", "--wait", "30s")).Ok()));

    /// <summary>Two working folders sharing a store in a database of its own (and the master key), with a secret added.</summary>
    private async Task<(CliSandbox First, CliSandbox Second, string Group)> TwoMachinesAsync()
    {
        var database = await postgres.CreateDatabaseAsync();
        var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(MasterKey.KeyLength));
        var location = $"Host={postgres.Cluster.Host};Port={postgres.Cluster.Port};Database={database};Username=postgres";
        CliSandbox Machine()
        {
            var sandbox = new CliSandbox(postgres);
            sandbox.SetEnvironment(CliContext.StoreVariable, location);
            sandbox.SetEnvironment(PostgresStoreConnection.PasswordVariable, postgres.Cluster.SuperuserPassword.Reveal());
            sandbox.SetEnvironment(MasterKey.EnvironmentVariable, key);
            return sandbox;
        }

        var first = Machine();
        var second = Machine();
        await first.InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await first.RunAsync("secret", "add", Secret, "--target", first.TargetName, "--group", group)).Ok();
        return (first, second, group);
    }
}

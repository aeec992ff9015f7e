using PgRotate.Postgres;
using PgRotate.Rotation;
using PgRotate.Scheduling;
using PgRotate.Secrets;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Server;

/// <summary>
/// Two schedulers on one store (two <c>pgrotate serve</c> replicas, or cron on two machines) each list the due secrets,
/// then rotate them one by one under the store's rotation lock. A list is stale by the time a secret's turn comes: the
/// other scheduler may have rotated that secret meanwhile, and taken and released its lock already.
/// </summary>
public sealed class ReplicaSchedulingTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_due_secret_the_other_replica_rotated_after_this_one_listed_it_is_not_rotated_again()
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = CliSandbox.FakeTime();
        using var sandbox = await new CliSandbox(postgres, clock).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", "first/app", "--target", sandbox.TargetName, "--group", Unique.Name("app"), "--every", "1h", "--grace", "5s")).Ok();
        (await sandbox.RunAsync("secret", "add", "second/app", "--target", sandbox.TargetName, "--group", Unique.Name("app"), "--every", "1h", "--grace", "5s")).Ok();
        clock.Advance(TimeSpan.FromMinutes(61));
        await using var connector = new TargetConnector();
        var otherStore = await sandbox.OpenStoreAsync();
        var other = new RotationEngine(otherStore, connector, clock);
        DueRun? otherRun = null;
        var hooks = new RotationHooks
        {
            AfterStep = async (secret, step, stepCt) =>
            {
                if (secret == "first/app" && step == RotationStep.Finish)
                {
                    // While this replica is busy with the first secret (its list already says the second is due), the
                    // other replica runs its tick and rotates the second one; then the second one's grace of 5 s ends.
                    otherRun = await new DueRotations(other, otherStore).RunAsync(1, stepCt);
                    clock.Advance(TimeSpan.FromSeconds(10));
                }
            },
        };
        var store = await sandbox.OpenStoreAsync();

        var run = await new DueRotations(new RotationEngine(store, connector, clock, hooks: hooks), store).RunAsync(1, ct);

        Assert.Equal(["second/app"], otherRun!.Rotated.Select(r => r.Secret));
        Assert.Equal(["first/app"], run.Rotated.Select(r => r.Secret));
        Assert.Empty(run.Failed);
        Assert.Equal(["second/app"], run.InProgress);
        // Rotated once, by the other replica: version 2, not a third version from this replica's stale list.
        Assert.Equal(2, (await store.FindVersionAsync("second/app", Stage.Current, ct))!.Number);
        Assert.Null(await store.FindVersionAsync("second/app", Stage.Pending, ct));
    }
}

using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary>
/// A rotation gives the previous login a new password: while that login is inside its grace, its clients would be cut,
/// so the rotation is refused (exit 12, saying when the grace ends) unless --force. The scheduler is never blocked by the
/// default grace, which ends exactly when the next rotation is due.
/// </summary>
public sealed class GraceRefusalTests(PostgresFixture postgres)
{
    private const string Secret = "orders/app";

    [Fact]
    public async Task A_rotation_inside_the_previous_logins_grace_is_refused_with_its_end_and_changes_nothing()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group, "--grace", "1h")).Ok();
        var first = await ClientLogin.GetAsync(sandbox, Secret);
        (await sandbox.RunAsync("rotate", Secret)).Ok();
        var state = await SecretState.ReadAsync(sandbox, Secret);
        var until = state.Previous!.ValidUntil!.Value;
        var roles = await RoleRows.SnapshotAsync(postgres, group);

        var line = (await sandbox.RunAsync("rotate", Secret)).FailsWith(12);

        Assert.Contains($"the previous login {first.Username} of {Secret} is inside its grace until {until.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z", line);
        Assert.Contains("--force", line);
        Assert.Equal(roles, await RoleRows.SnapshotAsync(postgres, group));
        Assert.Equal(state.Versions, (await SecretState.ReadAsync(sandbox, Secret)).Versions);
        Assert.Equal($"{first.Username}/{group}", await ClientLogin.WhoAmIAsync(postgres, first));
    }

    [Fact]
    public async Task Force_rotates_inside_the_grace()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group, "--grace", "1h")).Ok();
        (await sandbox.RunAsync("rotate", Secret)).Ok();

        (await sandbox.RunAsync("rotate", Secret, "--force")).Ok();

        Assert.Equal(3, (await SecretState.AssertSettledAsync(postgres, sandbox, Secret, group)).Current.Number);
    }

    [Fact]
    public async Task A_rotation_after_the_grace_has_ended_goes_ahead()
    {
        var clock = CliSandbox.FakeTime();
        using var sandbox = await new CliSandbox(postgres, clock).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"), "--grace", "1h")).Ok();
        (await sandbox.RunAsync("rotate", Secret)).Ok();
        (await sandbox.RunAsync("rotate", Secret)).FailsWith(12);

        clock.Advance(TimeSpan.FromMinutes(61));

        (await sandbox.RunAsync("rotate", Secret)).Ok();
        Assert.Equal(3, (await SecretState.ReadAsync(sandbox, Secret)).Current.Number);
    }

    [Fact]
    public async Task The_default_grace_never_blocks_the_scheduler_and_a_longer_one_is_waited_for_with_exit_0()
    {
        var clock = CliSandbox.FakeTime();
        using var sandbox = await new CliSandbox(postgres, clock).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"), "--every", "1d")).Ok();

        // The default grace ends exactly when the next rotation is due: every tick rotates.
        for (var tick = 1; tick <= 2; tick++)
        {
            clock.Advance(TimeSpan.FromDays(1));
            Assert.StartsWith($"rotated {Secret}: version {tick + 1}", (await sandbox.RunAsync("rotate", "--all-due")).Ok());
        }

        // A schedule shortened below the running grace: the due secret waits for the grace instead of cutting it.
        var previous = (await SecretState.ReadAsync(sandbox, Secret)).Previous!;
        (await sandbox.RunAsync("secret", "update", Secret, "--every", "1h")).Ok();
        clock.Advance(TimeSpan.FromMinutes(61));

        var output = (await sandbox.RunAsync("rotate", "--all-due")).Ok();

        Assert.StartsWith($"waiting: {Secret} is due, but its previous login {previous.Username} is inside its grace until", output);
        Assert.Equal(3, (await SecretState.ReadAsync(sandbox, Secret)).Highest);
        clock.Advance(TimeSpan.FromDays(1));
        Assert.StartsWith($"rotated {Secret}: version 4", (await sandbox.RunAsync("rotate", "--all-due")).Ok());
    }
}

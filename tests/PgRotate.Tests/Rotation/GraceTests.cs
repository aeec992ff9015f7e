using System.Diagnostics;
using Npgsql;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary>The previous credential keeps working for the grace period, then PostgreSQL itself refuses it (VALID UNTIL).</summary>
public sealed class GraceTests(PostgresFixture postgres)
{
    private const string Secret = "orders/app";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan PollLimit = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task The_previous_credential_works_until_the_grace_period_ends_then_PostgreSQL_refuses_it()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group, "--grace", "2s")).Ok();
        var first = await ClientLogin.GetAsync(sandbox, Secret);

        var rotated = await RotateRun.RunAsync(sandbox, Secret);

        var previous = await ClientLogin.GetAsync(sandbox, Secret, "previous");
        var current = await ClientLogin.GetAsync(sandbox, Secret);
        Assert.Equal(first, previous);
        Assert.Equal($"{previous.Username}/{group}", await ClientLogin.WhoAmIAsync(postgres, previous));
        var validUntil = Assert.IsType<DateTimeOffset>(rotated.PreviousValidUntil);
        Assert.True(DateTimeOffset.UtcNow < validUntil, "the previous login was tried only after its grace had ended; the machine is too slow for a 2s grace");

        // The stored end of grace is the one PostgreSQL enforces.
        var state = await SecretState.ReadAsync(sandbox, Secret);
        Assert.Equal(validUntil, state.Previous?.ValidUntil);
        var serverValidUntil = await postgres.ScalarAsync<DateTime>($"SELECT rolvaliduntil FROM pg_roles WHERE rolname = '{previous.Username}'");
        Assert.Equal(validUntil.UtcDateTime, serverValidUntil, TimeSpan.FromSeconds(1));

        // Real time has to pass: PostgreSQL compares VALID UNTIL with its own clock at each login.
        var clock = Stopwatch.StartNew();
        string who;
        while ((who = await ClientLogin.WhoAmIAsync(postgres, previous)) != PostgresErrorCodes.InvalidPassword && clock.Elapsed < PollLimit)
        {
            await Task.Delay(PollInterval, TestContext.Current.CancellationToken);
        }

        Assert.Equal(PostgresErrorCodes.InvalidPassword, who);
        Assert.True(DateTimeOffset.UtcNow >= validUntil.AddSeconds(-1), $"refused at {DateTimeOffset.UtcNow:O}, grace until {validUntil:O}");
        Assert.Equal($"{current.Username}/{group}", await ClientLogin.WhoAmIAsync(postgres, current));
    }

    [Fact]
    public async Task Without_a_grace_period_or_schedule_the_previous_credential_works_for_a_day()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group)).Ok();
        var first = await ClientLogin.GetAsync(sandbox, Secret);
        var before = DateTimeOffset.UtcNow;

        var rotated = await RotateRun.RunAsync(sandbox, Secret);

        // A finite default: 24 hours from the rotation, stored and on the server (no longer 'infinity').
        var validUntil = Assert.IsType<DateTimeOffset>(rotated.PreviousValidUntil);
        Assert.InRange(validUntil, before.AddHours(24), DateTimeOffset.UtcNow.AddHours(24));
        Assert.Equal(validUntil, (await SecretState.ReadAsync(sandbox, Secret)).Previous?.ValidUntil);
        var serverValidUntil = await postgres.ScalarAsync<DateTime>($"SELECT rolvaliduntil FROM pg_roles WHERE rolname = '{first.Username}'");
        Assert.Equal(validUntil.UtcDateTime, serverValidUntil, TimeSpan.FromSeconds(1));
        Assert.Equal($"{first.Username}/{group}", await ClientLogin.WhoAmIAsync(postgres, first));

        await RotateRun.RunAsync(sandbox, Secret);

        Assert.Equal(PostgresErrorCodes.InvalidPassword, await ClientLogin.WhoAmIAsync(postgres, first));
    }
}

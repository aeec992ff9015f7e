using Microsoft.Data.Sqlite;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

public sealed class SchedulerRepairTests(PostgresFixture postgres)
{
    [Fact]
    public async Task All_due_applies_a_grace_end_that_an_interrupted_run_left_off_the_server()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", "repair/app", "--target", sandbox.TargetName, "--group", group, "--grace", "1h")).Ok();
        (await sandbox.RunAsync("rotate", "repair/app")).Ok();
        var previous = (await SecretState.ReadAsync(sandbox, "repair/app")).Previous!;
        var stored = previous.ValidUntil!.Value;

        // What a run killed between promoting and expiring leaves: the store has the grace end, the server does not.
        await postgres.ExecuteAsync($"ALTER ROLE \"{previous.Username}\" VALID UNTIL 'infinity'");
        await using (var connection = new SqliteConnection($"Data Source={sandbox.StorePath}"))
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "UPDATE versions SET grace_applied = 0 WHERE stage = 'previous'";
            Assert.Equal(1, await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken));
        }

        SqliteConnection.ClearAllPools();

        var output = (await sandbox.RunAsync("rotate", "--all-due")).Ok();

        Assert.Contains("applied 1 grace end(s)", output);
        var onServer = await postgres.ScalarAsync<DateTime>($"SELECT rolvaliduntil FROM pg_roles WHERE rolname = '{previous.Username}'");
        Assert.InRange((new DateTimeOffset(onServer, TimeSpan.Zero) - stored).Duration(), TimeSpan.Zero, TimeSpan.FromSeconds(1));
        Assert.DoesNotContain("grace end", (await sandbox.RunAsync("rotate", "--all-due")).Ok());
        Assert.Equal(2, (await SecretState.ReadAsync(sandbox, "repair/app")).Current.Number);
    }

    [Fact]
    public async Task A_scheduled_secret_that_fails_its_test_is_retried_after_the_backoff_not_on_every_tick()
    {
        var clock = CliSandbox.FakeTime();
        using var sandbox = await new CliSandbox(postgres, clock).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        // The check divides by the number of tables named flag: it passes while the table exists, then fails.
        var flag = Unique.Name("flag");
        await postgres.ExecuteAsync($"CREATE TABLE public.\"{flag}\"(i int)");
        (await sandbox.RunAsync("secret", "add", "flaky/app", "--target", sandbox.TargetName, "--group", group, "--every", "1d",
            "--check-sql", $"SELECT 1 / count(*) FROM pg_class WHERE relname = '{flag}'")).Ok();
        await postgres.ExecuteAsync($"DROP TABLE public.\"{flag}\"");

        clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        (await sandbox.RunAsync("rotate", "--all-due")).FailsWith(14);
        Assert.Single((await SecretState.ReadAsync(sandbox, "flaky/app")).Versions, v => v.Stage == "failed");

        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal("no secret is due for rotation", (await sandbox.RunAsync("rotate", "--all-due")).Ok().Trim());
        Assert.Single((await SecretState.ReadAsync(sandbox, "flaky/app")).Versions, v => v.Stage == "failed");

        clock.Advance(TimeSpan.FromHours(1));
        (await sandbox.RunAsync("rotate", "--all-due")).FailsWith(14);
        Assert.Equal(2, (await SecretState.ReadAsync(sandbox, "flaky/app")).Versions.Count(v => v.Stage == "failed"));
        Assert.Equal(1, (await SecretState.ReadAsync(sandbox, "flaky/app")).Current.Number);
    }
}

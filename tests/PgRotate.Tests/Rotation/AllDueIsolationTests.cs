using Microsoft.Data.Sqlite;
using PgRotate.Rotation;
using PgRotate.Tests.Support;
using PgRotate.Store.Sqlite;

namespace PgRotate.Tests.Rotation;

/// <summary>
/// <c>rotate --all-due</c> keeps each secret on its own: a failure of any type is reported on its own line (exit 14)
/// and the other due secrets still rotate; a secret another process is rotating is skipped as in progress (exit 0).
/// </summary>
public sealed class AllDueIsolationTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_failure_that_is_not_a_pgrotate_error_is_reported_and_the_other_secrets_still_rotate()
    {
        var clock = CliSandbox.FakeTime();
        using var sandbox = await new CliSandbox(postgres, clock).InitializedWithTargetAsync();
        foreach (var secret in new[] { "a/app", "b/app", "c/app" })
        {
            (await sandbox.RunAsync("secret", "add", secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"), "--every", "1h")).Ok();
        }

        // A version row whose timestamp does not parse: reading b/app throws a FormatException, not a PgRotateException.
        await using (var connection = new SqliteConnection($"Data Source={sandbox.StorePath}"))
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var command = new SqliteCommand("UPDATE versions SET created_at = 'not a time' WHERE secret = 'b/app'", connection);
            Assert.Equal(1, await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken));
        }

        SqliteConnection.ClearAllPools();
        clock.Advance(TimeSpan.FromMinutes(61));

        var run = await sandbox.RunAsync("rotate", "--all-due");

        var line = run.FailsWith(14);
        Assert.StartsWith("pgrotate: b/app: unexpected error: ", line);
        Assert.EndsWith("(FormatException)", line);
        Assert.Contains("rotated a/app: version 2", run.Out);
        Assert.Contains("rotated c/app: version 2", run.Out);
    }

    [Fact]
    public async Task A_secret_whose_lock_another_process_holds_is_skipped_as_in_progress_and_the_run_exits_0()
    {
        var clock = CliSandbox.FakeTime();
        using var sandbox = await new CliSandbox(postgres, clock).InitializedWithTargetAsync();
        foreach (var secret in new[] { "busy/app", "free/app" })
        {
            (await sandbox.RunAsync("secret", "add", secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"), "--every", "1h")).Ok();
        }

        clock.Advance(TimeSpan.FromMinutes(61));
        CliRun run;
        await using (await new FileRotationLock(sandbox.StorePath + ".locks", TimeProvider.System).AcquireAsync(LockKey.Secret("busy/app"), null, TestContext.Current.CancellationToken))
        {
            run = await sandbox.RunAsync("rotate", "--all-due");
        }

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Error);
        Assert.Contains("rotated free/app: version 2", run.Out);
        Assert.Contains("in progress: busy/app is being rotated by another pgrotate process; skipped", run.Out);
        Assert.Equal(1, (await SecretState.ReadAsync(sandbox, "busy/app")).Highest);
        Assert.StartsWith("rotated busy/app: version 2", (await sandbox.RunAsync("rotate", "--all-due")).Ok());
    }
}

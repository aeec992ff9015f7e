using Microsoft.Data.Sqlite;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary>
/// A store written before durations were bounded may hold a schedule or grace past them (an earlier version accepted
/// <c>--every 500000w</c>, and every rotation then failed after set and test). Such a secret still lists, its rotation
/// is refused before the server is touched, and <c>secret update</c> repairs it.
/// </summary>
public sealed class StoredTimingTests(PostgresFixture postgres)
{
    private const string Secret = "legacy/app";

    [Fact]
    public async Task An_out_of_bounds_stored_schedule_and_grace_are_refused_before_the_server_and_repaired_by_secret_update()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group, "--every", "1h", "--grace", "30m")).Ok();
        await using (var connection = new SqliteConnection($"Data Source={sandbox.StorePath}"))
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var command = new SqliteCommand($"UPDATE secrets SET schedule = 'every 500000w', grace_ms = {(long)TimeSpan.FromDays(7 * 500000).TotalMilliseconds} WHERE name = '{Secret}'", connection);
            Assert.Equal(1, await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken));
        }

        SqliteConnection.ClearAllPools();
        var roles = await RoleRows.SnapshotAsync(postgres, group);

        Assert.Contains(Secret, (await sandbox.RunAsync("secret", "list")).Ok());
        var line = (await sandbox.RunAsync("rotate", Secret)).FailsWith(2);

        Assert.Contains("past the year 9999; nothing was changed", line);
        Assert.Contains($"pgrotate secret update {Secret} --every", line);
        Assert.Equal(roles, await RoleRows.SnapshotAsync(postgres, group));
        Assert.Equal(1, (await SecretState.ReadAsync(sandbox, Secret)).Highest);

        (await sandbox.RunAsync("secret", "update", Secret, "--every", "1d")).FailsWith(2);
        (await sandbox.RunAsync("secret", "update", Secret, "--every", "1d", "--grace", "1h")).Ok();
        (await sandbox.RunAsync("rotate", Secret)).Ok();
        Assert.Equal(2, (await SecretState.ReadAsync(sandbox, Secret)).Current.Number);
    }
}

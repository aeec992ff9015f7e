using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using PgRotate.Store.Sqlite;
using PgRotate.Tests.Store;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Scheduling;

/// <summary>
/// <c>--time-zone</c>, <c>--window</c> and <c>--jitter</c> on <c>secret add</c> and <c>secret update</c>: checked while
/// parsing (one line, exit 2, nothing stored), shown by <c>secret show</c> and <c>secret list</c>, and a window held to
/// by <c>rotate --all-due</c>.
/// </summary>
public sealed class ScheduleOptionsCliTests(PostgresFixture postgres)
{
    [Theory]
    [InlineData("--every", "1h", "--window", "25:00-03:00")]
    [InlineData("--every", "1h", "--window", "02:00-02:00")]
    [InlineData("--cron", "0 3 * * *", "--time-zone", "Mars/Olympus_Mons")]
    [InlineData("--cron", "CRON_TZ=Nowhere/Nothing 0 3 * * *")]
    [InlineData("--cron", "CRON_TZ=Europe/Paris 0 3 * * *", "--time-zone", "Europe/Paris")]
    [InlineData("--every", "1h", "--time-zone", "Europe/Paris")]
    [InlineData("--every", "1h", "--jitter", "0s")]
    [InlineData("--every", "1h", "--jitter", "31m")]
    [InlineData("--every", "1h", "--jitter", "ten")]
    [InlineData("--window", "02:00-05:00")]
    [InlineData("--jitter", "10m")]
    [InlineData("--every", "2h", "--jitter", "30m", "--grace", "100m")]
    public async Task A_bad_time_zone_window_or_jitter_is_refused_while_parsing_and_nothing_is_stored(params string[] options)
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("g");

        var line = (await sandbox.RunAsync(["secret", "add", "app/" + Unique.Name("s"), "--target", sandbox.TargetName, "--group", group, .. options])).FailsWith(2);

        Assert.DoesNotContain("Exception", line, StringComparison.Ordinal);
        Assert.Empty(JsonDocument.Parse((await sandbox.RunAsync("secret", "list", "--json")).Ok()).RootElement.EnumerateArray());
    }

    [Fact]
    public async Task Secret_show_and_list_give_the_zone_window_and_jitter_apart_from_the_expression()
    {
        var time = CliSandbox.FakeTime();
        using var sandbox = await new CliSandbox(postgres, time).InitializedWithTargetAsync();
        var name = "app/" + Unique.Name("s");
        (await sandbox.RunAsync("secret", "add", name, "--target", sandbox.TargetName, "--group", Unique.Name("g"),
            "--cron", "0 3 * * *", "--time-zone", "Europe/Paris", "--window", "02:00-05:00", "--jitter", "10m")).Ok();

        var shown = JsonDocument.Parse((await sandbox.RunAsync("secret", "show", name, "--json")).Ok()).RootElement;
        var listed = Assert.Single(JsonDocument.Parse((await sandbox.RunAsync("secret", "list", "--json")).Ok()).RootElement.EnumerateArray().ToList());
        var text = (await sandbox.RunAsync("secret", "show", name)).Ok();

        foreach (var secret in new[] { shown, listed })
        {
            Assert.Equal(("0 3 * * *", "Europe/Paris", "02:00-05:00", "10m"),
                (secret.GetProperty("schedule").GetString(), secret.GetProperty("timeZone").GetString(), secret.GetProperty("window").GetString(), secret.GetProperty("jitter").GetString()));
        }

        // 03:00 in Paris on 27 November is 02:00 UTC; the jitter adds less than 10 minutes.
        Assert.InRange(shown.GetProperty("nextRotationAt").GetDateTimeOffset(), Parse("2026-11-27T02:00:00Z"), Parse("2026-11-27T02:10:00Z"));
        Assert.Contains("0 3 * * *; zone Europe/Paris; window 02:00-05:00; jitter 10m", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secret_update_reshapes_the_schedule_without_a_new_expression_and_removes_the_window()
    {
        var time = CliSandbox.FakeTime();
        using var sandbox = await new CliSandbox(postgres, time).InitializedWithTargetAsync();
        var name = "app/" + Unique.Name("s");
        (await sandbox.RunAsync("secret", "add", name, "--target", sandbox.TargetName, "--group", Unique.Name("g"), "--every", "1d")).Ok();

        var windowed = JsonDocument.Parse((await sandbox.RunAsync("secret", "update", name, "--window", "02:00-05:00", "--jitter", "1h", "--json")).Ok()).RootElement;
        var refused = await sandbox.RunAsync("secret", "update", name, "--jitter", "13h");
        var unwindowed = JsonDocument.Parse((await sandbox.RunAsync("secret", "update", name, "--no-window", "--json")).Ok()).RootElement;

        Assert.Equal(("every 1d", "02:00-05:00", "1h"), (windowed.GetProperty("schedule").GetString(), windowed.GetProperty("window").GetString(), windowed.GetProperty("jitter").GetString()));
        // A day from now is 12:00, outside the window: the next opening, 02:00 the day after, plus less than the hour of jitter.
        Assert.InRange(windowed.GetProperty("nextRotationAt").GetDateTimeOffset(), Parse("2026-11-28T02:00:00Z"), Parse("2026-11-28T03:00:00Z"));
        refused.FailsWith(2);
        Assert.Equal((JsonValueKind.Null, "1h"), (unwindowed.GetProperty("window").ValueKind, unwindowed.GetProperty("jitter").GetString()));
    }

    [Fact]
    public async Task A_secret_due_outside_its_window_waits_for_the_window_to_open()
    {
        var time = CliSandbox.FakeTime();
        using var sandbox = await new CliSandbox(postgres, time).InitializedWithTargetAsync();
        var name = "app/" + Unique.Name("s");
        (await sandbox.RunAsync("secret", "add", name, "--target", sandbox.TargetName, "--group", Unique.Name("g"), "--every", "1h", "--window", "02:00-05:00")).Ok();
        // Due now, at 12:00 UTC (as after downtime, or a time set before the window was), outside the window.
        await sandbox.ExecuteAsync("UPDATE secrets SET next_rotation_at = $at", ("$at", SqliteSecretStore.Format(time.GetUtcNow())));

        (await sandbox.RunAsync("rotate", "--all-due")).Ok();
        var outside = await VersionAsync(sandbox);
        time.Advance(TimeSpan.FromHours(14));
        (await sandbox.RunAsync("rotate", "--all-due")).Ok();
        var inside = await VersionAsync(sandbox);
        var next = Assert.Single(JsonDocument.Parse((await sandbox.RunAsync("secret", "list", "--json")).Ok()).RootElement.EnumerateArray().ToList())
            .GetProperty("nextRotationAt").GetDateTimeOffset();

        Assert.Equal((1, 2), (outside, inside));
        Assert.Equal(Parse("2026-11-27T03:00:00Z"), next);
    }

    private static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<int> VersionAsync(CliSandbox sandbox) =>
        Assert.Single(JsonDocument.Parse((await sandbox.RunAsync("secret", "list", "--json")).Ok()).RootElement.EnumerateArray().ToList())
            .GetProperty("version").GetInt32();
}

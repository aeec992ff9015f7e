using System.Text.Json;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary><c>pgrotate secret update</c>: changes schedule, grace and check query; recomputes the next rotation; records it.</summary>
public sealed class SecretUpdateTests(PostgresFixture postgres)
{
    private const string Secret = "orders/app";

    [Fact]
    public async Task A_new_schedule_recomputes_the_next_rotation_and_is_recorded_in_history()
    {
        var clock = CliSandbox.FakeTime();
        using var sandbox = await new CliSandbox(postgres, clock).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"), "--every", "30d")).Ok();
        clock.Advance(TimeSpan.FromHours(5));

        var output = (await sandbox.RunAsync("secret", "update", Secret, "--every", "7d")).Ok();

        Assert.Contains("schedule every 30d -> every 7d", output);
        var show = await ShowAsync(sandbox);
        Assert.Equal("every 7d", show.GetProperty("schedule").GetString());
        Assert.Equal(clock.GetUtcNow().AddDays(7), show.GetProperty("nextRotationAt").GetDateTimeOffset());
        var last = JsonDocument.Parse((await sandbox.RunAsync("history", Secret, "--json")).Ok()).RootElement.EnumerateArray().Last();
        Assert.Equal("updated", last.GetProperty("event").GetString());
        Assert.Equal("schedule every 30d -> every 7d", last.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task No_schedule_grace_and_check_query_can_each_be_set_and_cleared()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"), "--every", "1d", "--grace", "1h")).Ok();

        (await sandbox.RunAsync("secret", "update", Secret, "--no-schedule", "--grace", "2d", "--check-sql", "SELECT 'marker_42'")).Ok();

        var show = await ShowAsync(sandbox);
        Assert.Equal(JsonValueKind.Null, show.GetProperty("schedule").ValueKind);
        Assert.Equal(JsonValueKind.Null, show.GetProperty("nextRotationAt").ValueKind);
        Assert.Equal("2d", show.GetProperty("grace").GetString());
        Assert.Equal("SELECT 'marker_42'", show.GetProperty("checkSql").GetString());
        (await sandbox.RunAsync("rotate", Secret)).Ok();

        (await sandbox.RunAsync("secret", "update", Secret, "--no-grace", "--no-check-sql")).Ok();

        show = await ShowAsync(sandbox);
        Assert.Equal(JsonValueKind.Null, show.GetProperty("grace").ValueKind);
        Assert.Equal(JsonValueKind.Null, show.GetProperty("checkSql").ValueKind);
        var history = (await sandbox.RunAsync("history", Secret)).Ok();
        Assert.Contains("check query added", history);
        Assert.Contains("check query removed", history);
        Assert.DoesNotContain("marker_42", history);
    }

    [Fact]
    public async Task An_update_that_changes_nothing_says_so_and_records_nothing()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"), "--every", "1d")).Ok();
        var history = (await sandbox.RunAsync("history", Secret)).Ok();

        Assert.Equal($"secret {Secret}: nothing to change", (await sandbox.RunAsync("secret", "update", Secret, "--every", "1d")).Ok().Trim());
        Assert.Equal(history, (await sandbox.RunAsync("history", Secret)).Ok());
    }

    [Theory]
    [InlineData("--grace", "2h")]
    [InlineData("--every", "500000w")]
    [InlineData("--cron", "* * * * * *")]
    public async Task An_update_that_breaks_the_bounds_is_refused_and_changes_nothing(string option, string value)
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"), "--every", "2h")).Ok();
        (await sandbox.RunAsync("secret", "update", Secret, "--every", "1h")).Ok();
        var before = (await sandbox.RunAsync("secret", "show", Secret, "--json")).Ok();

        (await sandbox.RunAsync("secret", "update", Secret, option, value)).FailsWith(2);

        Assert.Equal(before, (await sandbox.RunAsync("secret", "show", Secret, "--json")).Ok());
    }

    [Fact]
    public async Task A_schedule_shorter_than_the_stored_grace_is_refused()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"), "--every", "1d", "--grace", "6h")).Ok();

        var line = (await sandbox.RunAsync("secret", "update", Secret, "--every", "1h")).FailsWith(2);

        Assert.Contains("--grace 6h is longer than the 1h between rotations", line);
        (await sandbox.RunAsync("secret", "update", Secret, "--every", "1h", "--grace", "30m")).Ok();
    }

    [Fact]
    public async Task Updating_an_unknown_secret_is_not_found()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();

        (await sandbox.RunAsync("secret", "update", "no/such", "--every", "1d")).FailsWith(3);
    }

    private static async Task<JsonElement> ShowAsync(CliSandbox sandbox) =>
        JsonDocument.Parse((await sandbox.RunAsync("secret", "show", Secret, "--json")).Ok()).RootElement;
}

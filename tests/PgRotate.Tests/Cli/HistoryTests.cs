using System.Text.Json;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Cli;

/// <summary>'pgrotate history' narrowed with --limit (the most recent N) and --since (a duration back, or a time).</summary>
public sealed class HistoryTests(PostgresFixture postgres)
{
    private const string Secret = "orders/app";

    [Fact]
    public async Task Limit_keeps_the_most_recent_entries_oldest_first()
    {
        using var sandbox = await WithThreeVersionsAsync();

        var all = await HistoryAsync(sandbox);
        var last = await HistoryAsync(sandbox, "--limit", "3");

        Assert.Equal(6, all.Count);
        Assert.Equal(all.Skip(3), last);
        Assert.Equal(("rotated", 3), last[^1]);
    }

    [Fact]
    public async Task Since_a_duration_counts_back_from_now()
    {
        using var sandbox = await WithThreeVersionsAsync();

        // Now is 4 days after creation, when the third version came; the second came 2 days earlier.
        var recent = await HistoryAsync(sandbox, "--since", "1d");

        Assert.Equal([("pending", 3), ("rotated", 3)], recent);
    }

    [Fact]
    public async Task Since_a_time_keeps_entries_at_or_after_it_and_combines_with_limit()
    {
        using var sandbox = await WithThreeVersionsAsync();

        var since = await HistoryAsync(sandbox, "--since", "2026-11-28T12:00:00Z");
        var sinceDay = await HistoryAsync(sandbox, "--since", "2026-11-28");
        var both = await HistoryAsync(sandbox, "--since", "2026-11-28", "--limit", "1");

        Assert.Equal([("pending", 2), ("rotated", 2), ("pending", 3), ("rotated", 3)], since);
        Assert.Equal(since, sinceDay);
        Assert.Equal([("rotated", 3)], both);
    }

    [Theory]
    [InlineData("--since", "yesterday")]
    [InlineData("--since", "2026-13-45")]
    [InlineData("--limit", "0")]
    [InlineData("--limit", "99999999999")]
    [InlineData("--limit", "٣")]
    public async Task Bad_filters_are_refused_as_usage_errors(string option, string value)
    {
        using var sandbox = await WithThreeVersionsAsync();

        var line = (await sandbox.RunAsync("history", Secret, option, value)).FailsWith(2);

        Assert.Contains(option, line);
        Assert.DoesNotContain("System.", line);
    }

    /// <summary>Created at the fake clock's start, rotated 2 and 4 days later; the clock then stays at 4 days.</summary>
    private async Task<CliSandbox> WithThreeVersionsAsync()
    {
        var clock = CliSandbox.FakeTime();
        var sandbox = await new CliSandbox(postgres, clock).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"), "--grace", "1h")).Ok();
        clock.Advance(TimeSpan.FromDays(2));
        (await sandbox.RunAsync("rotate", Secret)).Ok();
        clock.Advance(TimeSpan.FromDays(2));
        (await sandbox.RunAsync("rotate", Secret)).Ok();
        return sandbox;
    }

    private static async Task<List<(string Event, int Version)>> HistoryAsync(CliSandbox sandbox, params string[] filters)
    {
        var json = (await sandbox.RunAsync(["history", Secret, "--json", .. filters])).Ok();
        return JsonDocument.Parse(json).RootElement.EnumerateArray()
            .Select(e => (e.GetProperty("event").GetString()!, e.GetProperty("version").GetInt32()))
            .ToList();
    }
}

using PgRotate.Errors;
using PgRotate.Scheduling;

namespace PgRotate.Tests.Scheduling;

/// <summary>
/// A schedule's time zone, window and jitter: cron expressions are UTC unless a zone is given, and then follow that
/// zone's daylight-saving changes; rotations start only inside a window; the jitter delays each time by a random part
/// of it, never more; everything survives the stored form.
/// </summary>
public sealed class ScheduleZoneWindowJitterTests
{
    private static readonly TimeZoneInfo Paris = Schedule.ZoneNamed("Europe/Paris");

    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void A_cron_expression_without_a_zone_is_read_in_UTC()
    {
        Assert.Equal(Utc("2026-03-29T03:00:00Z"), Schedule.Cron("0 3 * * *").NextAfter(Utc("2026-03-28T12:00:00Z")));
    }

    [Fact]
    public void A_cron_expression_in_a_zone_keeps_its_local_hour_across_the_spring_daylight_saving_change()
    {
        // Paris moves from UTC+1 to UTC+2 at 01:00 UTC on 29 March 2026: 03:00 local is 02:00 UTC before, 01:00 UTC after.
        var schedule = Schedule.Cron("0 3 * * *").With(Paris, null, null);
        var before = schedule.NextAfter(Utc("2026-03-27T12:00:00Z"));
        var after = schedule.NextAfter(before);

        Assert.Equal((Utc("2026-03-28T02:00:00Z"), Utc("2026-03-29T01:00:00Z")), (before, after));
        Assert.Equal(TimeSpan.FromHours(23), after - before);
    }

    [Fact]
    public void A_local_time_skipped_by_the_daylight_saving_change_fires_at_the_first_moment_after_it()
    {
        // 02:30 does not exist in Paris on 29 March 2026 (02:00 becomes 03:00): that day's run is at 03:00 CEST, 01:00 UTC.
        Assert.Equal(Utc("2026-03-29T01:00:00Z"), Schedule.Cron("30 2 * * *").With(Paris, null, null).NextAfter(Utc("2026-03-28T12:00:00Z")));
    }

    [Fact]
    public void A_local_time_that_occurs_twice_in_the_autumn_change_fires_once()
    {
        // Paris goes back from 03:00 CEST to 02:00 CET at 01:00 UTC on 25 October 2026: 02:30 local happens at 00:30 and
        // again at 01:30 UTC; the schedule runs at the first and next on 26 October (01:30 UTC, CET).
        var schedule = Schedule.Cron("30 2 * * *").With(Paris, null, null);
        var first = schedule.NextAfter(Utc("2026-10-24T12:00:00Z"));

        Assert.Equal((Utc("2026-10-25T00:30:00Z"), Utc("2026-10-26T01:30:00Z")), (first, schedule.NextAfter(first)));
    }

    [Fact]
    public void A_leading_CRON_TZ_names_the_zone_like_time_zone_does()
    {
        var schedule = Schedule.Cron("CRON_TZ=Europe/Paris 0 3 * * *");

        Assert.Equal(("0 3 * * *", "Europe/Paris"), (schedule.Expression, schedule.TimeZone?.Id));
        Assert.Equal(Schedule.Cron("0 3 * * *").With(Paris, null, null), schedule);
        Assert.Equal(Utc("2026-10-25T02:00:00Z"), schedule.NextAfter(Utc("2026-10-24T12:00:00Z")));
    }

    [Fact]
    public void A_time_due_outside_the_window_moves_to_its_next_opening_and_one_inside_stays()
    {
        var schedule = Schedule.Every(TimeSpan.FromHours(1)).With(null, RotationWindow.Parse("02:00-05:00"), null);

        Assert.Equal(Utc("2026-11-27T02:00:00Z"), schedule.NextAfter(Utc("2026-11-26T12:00:00Z")));
        Assert.Equal(Utc("2026-11-27T03:30:00Z"), schedule.NextAfter(Utc("2026-11-27T02:30:00Z")));
        Assert.Equal(Utc("2026-11-28T02:00:00Z"), schedule.NextAfter(Utc("2026-11-27T04:30:00Z")));
        Assert.False(schedule.AllowsStartAt(Utc("2026-11-27T05:00:00Z")));
        Assert.True(schedule.AllowsStartAt(Utc("2026-11-27T02:00:00Z")));
    }

    [Fact]
    public void A_window_past_midnight_in_a_zone_is_read_in_local_time()
    {
        var schedule = Schedule.Every(TimeSpan.FromHours(1)).With(Paris, RotationWindow.Parse("23:00-01:00"), null);

        // 23:30 and 00:30 in Paris (UTC+1 in November) are inside; 01:30 is not; the next opening is 23:00 local, 22:00 UTC.
        Assert.True(schedule.AllowsStartAt(Utc("2026-11-26T22:30:00Z")));
        Assert.True(schedule.AllowsStartAt(Utc("2026-11-26T23:30:00Z")));
        Assert.False(schedule.AllowsStartAt(Utc("2026-11-27T00:30:00Z")));
        Assert.Equal(Utc("2026-11-27T22:00:00Z"), schedule.NextAfter(Utc("2026-11-27T00:00:00Z")));
    }

    [Fact]
    public void The_jitter_delays_each_time_by_less_than_itself_and_spreads_the_times()
    {
        var schedule = Schedule.Every(TimeSpan.FromHours(1)).With(null, null, TimeSpan.FromMinutes(10));
        var after = Utc("2026-11-26T12:00:00Z");
        var random = new Random(7);

        var times = Enumerable.Range(0, 200).Select(_ => schedule.NextAfter(after, random)).ToList();

        Assert.All(times, t => Assert.InRange(t, after + TimeSpan.FromHours(1), after + TimeSpan.FromHours(1) + TimeSpan.FromMinutes(10) - TimeSpan.FromTicks(1)));
        Assert.True(times.Distinct().Count() > 100, "the times are spread, not one burst");
        Assert.True(times.Max() - times.Min() > TimeSpan.FromMinutes(5));
        Assert.Equal(schedule.NextAfter(after, new Random(7)), times[0]);
    }

    [Fact]
    public void A_jittered_time_that_waits_for_the_window_keeps_its_delay_within_the_window()
    {
        var schedule = Schedule.Every(TimeSpan.FromHours(1)).With(null, RotationWindow.Parse("02:00-03:00"), TimeSpan.FromMinutes(30));
        var random = new Random(11);

        var times = Enumerable.Range(0, 100).Select(_ => schedule.NextAfter(Utc("2026-11-26T12:00:00Z"), random)).ToList();

        Assert.All(times, t => Assert.InRange(t, Utc("2026-11-27T02:00:00Z"), Utc("2026-11-27T02:30:00Z")));
        Assert.True(times.Distinct().Count() > 50, "a fleet waiting for the window does not start at its first second");
    }

    [Fact]
    public void The_stored_form_gives_back_the_same_schedule()
    {
        var schedule = Schedule.Cron("0 3 * * 1-5").With(Paris, RotationWindow.Parse("02:00-05:00"), TimeSpan.FromMinutes(10));

        var stored = Schedule.Parse(schedule.Text);

        Assert.Equal("0 3 * * 1-5; zone Europe/Paris; window 02:00-05:00; jitter 10m", schedule.Text);
        Assert.Equal((schedule, "0 3 * * 1-5", "Europe/Paris", "02:00-05:00", TimeSpan.FromMinutes(10)),
            (stored, stored.Expression, stored.TimeZone?.Id, stored.Window?.ToString(), stored.Jitter));
        Assert.Equal("every 30d", Schedule.Parse("every 30d").Text);
    }

    [Theory]
    [InlineData("25:00-03:00")]
    [InlineData("2:00-5:00")]
    [InlineData("02:00")]
    [InlineData("02:00-02:00")]
    [InlineData("02:00-05:00-06:00")]
    public void A_malformed_or_empty_window_is_refused(string window)
    {
        Assert.Equal(ErrorCode.InvalidInput, Assert.Throws<PgRotateException>(() => RotationWindow.Parse(window)).Code);
    }
}

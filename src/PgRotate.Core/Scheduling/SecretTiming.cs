using PgRotate.Errors;

namespace PgRotate.Scheduling;

/// <summary>
/// A secret's schedule and grace as given to <c>secret add</c> or <c>secret update</c>, checked against the bounds and
/// each other while parsing, with the next rotation already computed: nothing that could fail later (a date past year
/// 9999, a cron expression that never fires) gets as far as the server.
/// </summary>
public sealed record SecretTiming(Schedule? Schedule, TimeSpan? Grace, DateTimeOffset? NextRotationAt)
{
    /// <summary>
    /// Parses <c>--every</c> / <c>--cron</c> (at most one) with <c>--time-zone</c>, <c>--window</c> and <c>--jitter</c>
    /// (which need one of them), and <c>--grace</c>, as of <paramref name="now"/>.
    /// </summary>
    public static SecretTiming Parse(string? every, string? cron, string? grace, DateTimeOffset now, string? timeZone = null, string? window = null, string? jitter = null)
    {
        if (every is not null && cron is not null)
        {
            throw PgRotateException.InvalidInput("give --every or --cron, not both");
        }

        var schedule = every is not null ? Schedule.Every(Durations.Parse(every, "--every"))
            : cron is not null ? Schedule.Cron(cron)
            : null;
        if (schedule is null && (timeZone ?? window ?? jitter) is not null)
        {
            throw PgRotateException.InvalidInput("--time-zone, --window and --jitter shape a schedule: give --every or --cron with them");
        }

        if (schedule?.TimeZone is not null && timeZone is not null)
        {
            throw PgRotateException.InvalidInput("the cron expression names its time zone (CRON_TZ=) and --time-zone gives one too: give one");
        }

        schedule = schedule?.With(
            timeZone is null ? null : Schedule.ZoneNamed(timeZone),
            window is null ? null : RotationWindow.Parse(window),
            jitter is null ? null : Durations.Parse(jitter, "--jitter"));
        return Of(schedule, grace is null ? null : Durations.Parse(grace, "--grace"), now);
    }

    /// <summary>Checks an already parsed schedule and grace together (see <see cref="Parse"/>).</summary>
    public static SecretTiming Of(Schedule? schedule, TimeSpan? grace, DateTimeOffset now)
    {
        if (grace is { } g && (g < TimeSpan.Zero || g > Bounds.MaxDuration))
        {
            throw PgRotateException.InvalidInput($"--grace {Durations.Format(g)} is outside 0s to 10 years (3650d)");
        }

        if (schedule is null)
        {
            return new SecretTiming(null, grace, null);
        }

        // The previous login's grace must end by the next scheduled rotation: that rotation gives the previous login its
        // new password, and one inside the grace would cut the clients still on it (rotations there are refused).
        var gap = schedule.ShortestGap(now);
        // A jitter of half the gap or more could put one rotation after the next one's time.
        if (schedule.Jitter is { } jitter && jitter > gap / 2)
        {
            throw PgRotateException.InvalidInput(
                $"--jitter {Durations.Format(jitter)} is more than half the {Durations.Format(gap)} between rotations of schedule '{schedule.Expression}'");
        }

        // Two jittered rotations can come closer than the schedule's gap by up to the jitter.
        gap -= schedule.Jitter ?? TimeSpan.Zero;
        if (grace is { } longGrace && longGrace > gap)
        {
            throw PgRotateException.InvalidInput(
                $"--grace {Durations.Format(longGrace)} is longer than the {Durations.Format(gap)} between rotations of schedule '{schedule.Text}': the previous login's grace must end by the next rotation (leave --grace out to keep it until then)");
        }

        return new SecretTiming(schedule, grace, schedule.NextAfter(now));
    }
}

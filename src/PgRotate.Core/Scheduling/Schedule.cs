using Cronos;
using PgRotate.Errors;
using PgRotate.Postgres;

namespace PgRotate.Scheduling;

/// <summary>
/// When a secret rotates: every fixed interval, or on a cron expression (in UTC unless a time zone is given); optionally
/// only inside a daily window, and with a random delay of up to a jitter so that secrets sharing a schedule do not all
/// rotate at once. Stored as one text: the expression, then <c>; zone …</c>, <c>; window …</c>, <c>; jitter …</c> when set.
/// </summary>
public sealed record Schedule
{
    private const string EveryPrefix = "every ";
    private const string ZonePart = "zone ";
    private const string WindowPart = "window ";
    private const string JitterPart = "jitter ";
    private const string PartSeparator = "; ";
    private readonly CronExpression? _cron;

    private Schedule(string expression, TimeSpan? interval, CronExpression? cron, TimeZoneInfo? zone = null, RotationWindow? window = null, TimeSpan? jitter = null)
    {
        Expression = expression;
        Interval = interval;
        _cron = cron;
        TimeZone = zone;
        Window = window;
        Jitter = jitter;
        Text = string.Concat(
            expression,
            zone is null ? "" : PartSeparator + ZonePart + zone.Id,
            window is null ? "" : PartSeparator + WindowPart + window,
            jitter is { } j ? PartSeparator + JitterPart + Durations.Format(j) : "");
    }

    /// <summary>The stored form: <c>every 30d</c> or the cron expression, then the zone, window and jitter when set.</summary>
    public string Text { get; }

    /// <summary>The interval (<c>every 30d</c>) or cron expression alone.</summary>
    public string Expression { get; }

    public TimeSpan? Interval { get; }

    /// <summary>The zone the cron expression and the window are read in; null for UTC.</summary>
    public TimeZoneInfo? TimeZone { get; }

    /// <summary>The daily hours in which rotations may start; null for any time.</summary>
    public RotationWindow? Window { get; }

    /// <summary>The most each rotation time is delayed at random (from 0 up to, not including, this); null for none.</summary>
    public TimeSpan? Jitter { get; }

    private TimeZoneInfo Zone => TimeZone ?? TimeZoneInfo.Utc;

    public static Schedule Every(TimeSpan interval)
    {
        if (interval < Bounds.MinInterval)
        {
            throw PgRotateException.InvalidInput($"rotation interval {Durations.Format(interval)} is shorter than the minimum of 1m");
        }

        if (interval > Bounds.MaxDuration)
        {
            throw PgRotateException.InvalidInput($"rotation interval {Durations.Format(interval)} is longer than the maximum of 10 years (3650d)");
        }

        return new Schedule(EveryPrefix + Durations.Format(interval), interval, null);
    }

    /// <summary>
    /// A cron expression of 5 fields (or 6 with a single-valued seconds field), in UTC, or in the zone a leading
    /// <c>CRON_TZ=Europe/Paris</c> (or <c>TZ=…</c>) names.
    /// </summary>
    public static Schedule Cron(string expression)
    {
        var trimmed = expression.Trim();
        TimeZoneInfo? zone = null;
        if (trimmed.StartsWith("CRON_TZ=", StringComparison.Ordinal) || trimmed.StartsWith("TZ=", StringComparison.Ordinal))
        {
            var space = trimmed.IndexOf(' ', StringComparison.Ordinal);
            var name = space < 0 ? trimmed : trimmed[..space];
            zone = ZoneNamed(name[(name.IndexOf('=', StringComparison.Ordinal) + 1)..], "--cron");
            trimmed = space < 0 ? "" : trimmed[(space + 1)..].Trim();
        }

        try
        {
            var fields = trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // With a seconds field, only a single second keeps it to at most one run a minute (the minimum interval).
            if (fields.Length == 6 && !fields[0].All(char.IsAsciiDigit))
            {
                throw PgRotateException.InvalidInput(
                    $"cron expression {Sql.Printable(expression)} fires more often than once a minute; give its seconds field a single value such as 0");
            }

            var cron = CronExpression.Parse(trimmed, fields.Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
            return new Schedule(trimmed, null, cron, zone);
        }
        catch (CronFormatException e)
        {
            throw PgRotateException.InvalidInput($"cron expression {Sql.Printable(expression)} is not valid: {e.Message}");
        }
    }

    /// <summary>
    /// A time zone by its IANA name (<c>Europe/Paris</c>, <c>UTC</c>), as the system's time zone database knows it.
    /// </summary>
    public static TimeZoneInfo ZoneNamed(string name, string what = "--time-zone")
    {
        try
        {
            return name.Length > 0 && !name.Contains(PartSeparator, StringComparison.Ordinal)
                ? TimeZoneInfo.FindSystemTimeZoneById(name)
                : throw new TimeZoneNotFoundException();
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw PgRotateException.InvalidInput($"{what}: time zone {Sql.Printable(name)} is not known; give an IANA name such as Europe/Paris or UTC");
        }
    }

    /// <summary>
    /// This schedule with a zone, window and jitter (each null keeps this schedule's own). A zone given to an interval
    /// without a window, where it means nothing, is refused.
    /// </summary>
    public Schedule With(TimeZoneInfo? zone, RotationWindow? window, TimeSpan? jitter)
    {
        if (zone is not null && _cron is null && (window ?? Window) is null)
        {
            throw PgRotateException.InvalidInput("--time-zone applies to a --cron schedule or a --window; an --every interval runs the same in every zone");
        }

        if (jitter is { } j && (j <= TimeSpan.Zero || j > Bounds.MaxDuration))
        {
            throw PgRotateException.InvalidInput($"--jitter {Durations.Format(j)} is outside 1s to 10 years (3650d)");
        }

        return new Schedule(Expression, Interval, _cron, zone ?? TimeZone, window ?? Window, jitter ?? Jitter);
    }

    /// <summary>This schedule without its window and/or jitter.</summary>
    public Schedule Without(bool window, bool jitter) =>
        new(Expression, Interval, _cron, TimeZone, window ? null : Window, jitter ? null : Jitter);

    /// <summary>Whether a rotation may start at <paramref name="at"/>: always without a window, else inside it.</summary>
    public bool AllowsStartAt(DateTimeOffset at) => Window?.Contains(at, Zone) ?? true;

    /// <summary>
    /// A schedule read back from the store. Not held to today's bounds, which a store written by an earlier version may
    /// break: the secret must still be listed and fixed with 'secret update'; a rotation checks it first
    /// (<see cref="NextAfter"/> refuses a time past the year 9999).
    /// </summary>
    internal static Schedule Parse(string stored)
    {
        var parts = stored.Split(PartSeparator);
        var schedule = ParseExpression(parts[0]);
        TimeZoneInfo? zone = null;
        RotationWindow? window = null;
        TimeSpan? jitter = null;
        foreach (var part in parts.Skip(1))
        {
            if (part.StartsWith(ZonePart, StringComparison.Ordinal))
            {
                zone = ZoneNamed(part[ZonePart.Length..], "stored schedule");
            }
            else if (part.StartsWith(WindowPart, StringComparison.Ordinal))
            {
                window = RotationWindow.Parse(part[WindowPart.Length..], "stored schedule window");
            }
            else if (part.StartsWith(JitterPart, StringComparison.Ordinal))
            {
                jitter = Durations.ParseStored(part[JitterPart.Length..], "stored schedule jitter");
            }
            else
            {
                throw PgRotateException.InvalidInput($"stored schedule {Sql.Printable(stored)} has an unknown part {Sql.Printable(part)}");
            }
        }

        return new Schedule(schedule.Expression, schedule.Interval, schedule._cron, zone, window, jitter);
    }

    private static Schedule ParseExpression(string stored)
    {
        if (stored.StartsWith(EveryPrefix, StringComparison.Ordinal))
        {
            return new Schedule(stored, Durations.ParseStored(stored[EveryPrefix.Length..], "rotation interval"), null);
        }

        try
        {
            var fields = stored.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
            return new Schedule(stored, null, CronExpression.Parse(stored, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard));
        }
        catch (CronFormatException e)
        {
            throw PgRotateException.InvalidInput($"stored cron expression {Sql.Printable(stored)} is not valid: {e.Message}");
        }
    }

    /// <summary>The next rotation time after <paramref name="after"/>, with a jitter drawn from <see cref="Random.Shared"/>.</summary>
    public DateTimeOffset NextAfter(DateTimeOffset after) => NextAfter(after, Random.Shared);

    /// <summary>
    /// The next rotation time after <paramref name="after"/>: the interval's or the cron expression's next run, delayed
    /// by a random part of the jitter drawn from <paramref name="random"/>; a time outside the window moves to the
    /// window's next opening, keeping its random delay (wrapped to the window's length), so a fleet waiting for one
    /// window does not start at its first second.
    /// </summary>
    public DateTimeOffset NextAfter(DateTimeOffset after, Random random)
    {
        var next = BaseNextAfter(after);
        var delay = Jitter is { } jitter ? TimeSpan.FromTicks((long)(random.NextDouble() * jitter.Ticks)) : TimeSpan.Zero;
        if (next > DateTimeOffset.MaxValue - delay)
        {
            throw PgRotateException.InvalidInput($"schedule '{Text}' puts the next rotation past the year 9999");
        }

        next += delay;
        if (Window is { } window && !window.Contains(next, Zone))
        {
            next = window.NextOpening(next, Zone) + TimeSpan.FromTicks(delay.Ticks % window.Length.Ticks);
        }

        return next;
    }

    private DateTimeOffset BaseNextAfter(DateTimeOffset after)
    {
        if (Interval is { } interval)
        {
            return after <= DateTimeOffset.MaxValue - interval
                ? after + interval
                : throw PgRotateException.InvalidInput($"schedule '{Text}' puts the next rotation past the year 9999");
        }

        return _cron!.GetNextOccurrence(after, Zone)
            ?? throw PgRotateException.InvalidInput($"cron expression {Sql.Printable(Expression)} never fires again");
    }

    /// <summary>
    /// Checks that the schedule fires within <see cref="Bounds.MaxDuration"/> of <paramref name="now"/> (a cron expression
    /// for 30 February never does) and returns the shortest gap between two runs: the interval, or for a cron expression
    /// the shortest gap among its next 1,000 runs within that horizon (a run that never comes again counts as the horizon).
    /// </summary>
    internal TimeSpan ShortestGap(DateTimeOffset now)
    {
        if (Interval is { } interval)
        {
            return interval;
        }

        var horizon = now + Bounds.MaxDuration;
        var runs = _cron!.GetOccurrences(now, horizon, Zone, fromInclusive: false).Take(1001).ToList();
        if (runs.Count == 0)
        {
            throw PgRotateException.InvalidInput($"cron expression {Sql.Printable(Expression)} does not fire within 10 years");
        }

        var shortest = Bounds.MaxDuration;
        for (var i = 1; i < runs.Count; i++)
        {
            shortest = runs[i] - runs[i - 1] < shortest ? runs[i] - runs[i - 1] : shortest;
        }

        return shortest;
    }

    public bool Equals(Schedule? other) => other is not null && Text == other.Text;

    public override int GetHashCode() => Text.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => Text;
}

using Cronos;
using PgRotate.Errors;
using PgRotate.Postgres;

namespace PgRotate.Scheduling;

/// <summary>When a secret rotates: every fixed interval, or on a cron expression (UTC).</summary>
public sealed record Schedule
{
    private const string EveryPrefix = "every ";
    private readonly CronExpression? _cron;

    private Schedule(string text, TimeSpan? interval, CronExpression? cron)
    {
        Text = text;
        Interval = interval;
        _cron = cron;
    }

    /// <summary>The stored form: <c>every 30d</c> or the cron expression.</summary>
    public string Text { get; }

    internal TimeSpan? Interval { get; }

    internal static Schedule Every(TimeSpan interval)
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

    internal static Schedule Cron(string expression)
    {
        try
        {
            var fields = expression.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // With a seconds field, only a single second keeps it to at most one run a minute (the minimum interval).
            if (fields.Length == 6 && !fields[0].All(char.IsAsciiDigit))
            {
                throw PgRotateException.InvalidInput(
                    $"cron expression {Sql.Printable(expression)} fires more often than once a minute; give its seconds field a single value such as 0");
            }

            var cron = CronExpression.Parse(expression.Trim(), fields.Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
            return new Schedule(expression.Trim(), null, cron);
        }
        catch (CronFormatException e)
        {
            throw PgRotateException.InvalidInput($"cron expression {Sql.Printable(expression)} is not valid: {e.Message}");
        }
    }

    /// <summary>
    /// A schedule read back from the store. Not held to today's bounds, which a store written by an earlier version may
    /// break: the secret must still be listed and fixed with 'secret update'; a rotation checks it first
    /// (<see cref="NextAfter"/> refuses a time past the year 9999).
    /// </summary>
    internal static Schedule Parse(string stored)
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

    /// <summary>The first rotation time strictly after <paramref name="after"/>.</summary>
    internal DateTimeOffset NextAfter(DateTimeOffset after)
    {
        if (Interval is { } interval)
        {
            return after <= DateTimeOffset.MaxValue - interval
                ? after + interval
                : throw PgRotateException.InvalidInput($"schedule '{Text}' puts the next rotation past the year 9999");
        }

        return _cron!.GetNextOccurrence(after, TimeZoneInfo.Utc)
            ?? throw PgRotateException.InvalidInput($"cron expression {Sql.Printable(Text)} never fires again");
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
        var runs = _cron!.GetOccurrences(now, horizon, TimeZoneInfo.Utc, fromInclusive: false).Take(1001).ToList();
        if (runs.Count == 0)
        {
            throw PgRotateException.InvalidInput($"cron expression {Sql.Printable(Text)} does not fire within 10 years");
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

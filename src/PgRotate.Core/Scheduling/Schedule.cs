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

    public TimeSpan? Interval { get; }

    public static Schedule Every(TimeSpan interval)
    {
        if (interval < TimeSpan.FromMinutes(1))
        {
            throw PgRotateException.InvalidInput($"rotation interval {Durations.Format(interval)} is shorter than the minimum of 1m");
        }

        return new Schedule(EveryPrefix + Durations.Format(interval), interval, null);
    }

    public static Schedule Cron(string expression)
    {
        try
        {
            var fields = expression.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
            var cron = CronExpression.Parse(expression.Trim(), fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
            return new Schedule(expression.Trim(), null, cron);
        }
        catch (CronFormatException e)
        {
            throw PgRotateException.InvalidInput($"cron expression {Sql.Printable(expression)} is not valid: {e.Message}");
        }
    }

    public static Schedule Parse(string stored) =>
        stored.StartsWith(EveryPrefix, StringComparison.Ordinal)
            ? Every(Durations.Parse(stored[EveryPrefix.Length..], "rotation interval"))
            : Cron(stored);

    /// <summary>The first rotation time strictly after <paramref name="after"/>.</summary>
    public DateTimeOffset NextAfter(DateTimeOffset after)
    {
        if (Interval is { } interval)
        {
            return after + interval;
        }

        return _cron!.GetNextOccurrence(after, TimeZoneInfo.Utc)
            ?? throw PgRotateException.InvalidInput($"cron expression {Sql.Printable(Text)} never fires again");
    }

    public bool Equals(Schedule? other) => other is not null && Text == other.Text;

    public override int GetHashCode() => Text.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => Text;
}

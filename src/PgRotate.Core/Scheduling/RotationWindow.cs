using System.Globalization;
using Cronos;
using PgRotate.Errors;
using PgRotate.Postgres;

namespace PgRotate.Scheduling;

/// <summary>
/// The daily hours in which scheduled rotations may start, e.g. <c>02:00-05:00</c> (a window may run past midnight:
/// <c>22:00-02:00</c>), as wall-clock times in the schedule's time zone. The start is inside the window, the end is not.
/// A local time skipped by a daylight-saving change opens the window at the first moment after the change.
/// </summary>
public sealed record RotationWindow
{
    private readonly CronExpression _opening;

    private RotationWindow(TimeOnly start, TimeOnly end)
    {
        Start = start;
        End = end;
        _opening = CronExpression.Parse(string.Create(CultureInfo.InvariantCulture, $"{start.Minute} {start.Hour} * * *"));
    }

    public TimeOnly Start { get; }

    public TimeOnly End { get; }

    /// <summary>Parses <c>HH:MM-HH:MM</c> (24-hour clock, two digits each); the two ends must differ.</summary>
    public static RotationWindow Parse(string text, string what = "--window")
    {
        var parts = text.Trim().Split('-');
        if (parts.Length != 2 || !TryTime(parts[0], out var start) || !TryTime(parts[1], out var end))
        {
            throw PgRotateException.InvalidInput($"{what} {Sql.Printable(text)} is not a window: write it like 02:00-05:00 (24-hour clock)");
        }

        return start == end
            ? throw PgRotateException.InvalidInput($"{what} {Sql.Printable(text)} is empty: its start and end must differ")
            : new RotationWindow(start, end);
    }

    /// <summary>Whether <paramref name="at"/> falls inside the window, read as a wall-clock time in <paramref name="zone"/>.</summary>
    public bool Contains(DateTimeOffset at, TimeZoneInfo zone)
    {
        var local = TimeOnly.FromTimeSpan(TimeZoneInfo.ConvertTime(at, zone).TimeOfDay);
        return Start < End ? local >= Start && local < End : local >= Start || local < End;
    }

    /// <summary>The first opening of the window strictly after <paramref name="after"/>.</summary>
    public DateTimeOffset NextOpening(DateTimeOffset after, TimeZoneInfo zone) =>
        _opening.GetNextOccurrence(after, zone)
        ?? throw PgRotateException.InvalidInput($"window {this} opens past the year 9999");

    /// <summary>How long the window stays open on a day without a daylight-saving change.</summary>
    public TimeSpan Length => Start < End ? End - Start : TimeSpan.FromDays(1) - (Start - End);

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Start:HH\\:mm}-{End:HH\\:mm}");

    private static bool TryTime(string text, out TimeOnly time) =>
        TimeOnly.TryParseExact(text, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out time);
}

using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using PgRotate.Errors;
using PgRotate.Postgres;

namespace PgRotate.Scheduling;

/// <summary>Durations as people write them on a command line: <c>90s</c>, <c>15m</c>, <c>1h30m</c>, <c>30d</c>, <c>2w</c>.</summary>
public static partial class Durations
{
    public static TimeSpan Parse(string? text, string what = "duration")
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw PgRotateException.InvalidInput($"{what} is empty");
        }

        var match = DurationPattern().Match(text.Trim());
        if (!match.Success)
        {
            throw PgRotateException.InvalidInput($"{what} {Sql.Printable(text)} is not a duration: write it like 90s, 15m, 1h30m, 30d or 2w");
        }

        var total = TimeSpan.Zero;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unit = part.Value[^1];
            var amount = long.Parse(part.Value[..^1], CultureInfo.InvariantCulture);
            var size = unit switch
            {
                's' => TimeSpan.FromSeconds(1),
                'm' => TimeSpan.FromMinutes(1),
                'h' => TimeSpan.FromHours(1),
                'd' => TimeSpan.FromDays(1),
                _ => TimeSpan.FromDays(7),
            };
            if (amount > TimeSpan.MaxValue.Ticks / size.Ticks / 2)
            {
                throw PgRotateException.InvalidInput($"{what} {Sql.Printable(text)} is too long");
            }

            total += size * amount;
        }

        return total;
    }

    public static string Format(TimeSpan duration)
    {
        if (duration == TimeSpan.Zero)
        {
            return "0s";
        }

        var builder = new StringBuilder();
        if (duration.Days > 0) builder.Append(CultureInfo.InvariantCulture, $"{duration.Days}d");
        if (duration.Hours > 0) builder.Append(CultureInfo.InvariantCulture, $"{duration.Hours}h");
        if (duration.Minutes > 0) builder.Append(CultureInfo.InvariantCulture, $"{duration.Minutes}m");
        if (duration.Seconds > 0) builder.Append(CultureInfo.InvariantCulture, $"{duration.Seconds}s");
        if (builder.Length == 0) builder.Append(CultureInfo.InvariantCulture, $"{duration.TotalMilliseconds:0}ms");
        return builder.ToString();
    }

    [GeneratedRegex(@"^(?:(?<part>\d{1,9}[smhdw]))+$")]
    private static partial Regex DurationPattern();
}

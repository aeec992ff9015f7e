using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using PgRotate.Errors;
using PgRotate.Postgres;

namespace PgRotate.Scheduling;

/// <summary>
/// Durations as people write them on a command line: <c>90s</c>, <c>15m</c>, <c>1h30m</c>, <c>30d</c>, <c>2w</c>; at most
/// <see cref="Bounds.MaxDuration"/>.
/// </summary>
public static partial class Durations
{
    public static TimeSpan Parse(string? text, string what = "duration") => Parse(text, what, Bounds.MaxDuration);

    /// <summary>
    /// A duration read back from the store, which may predate the bound (a store written by an earlier version took
    /// 500000w): accepted up to what a TimeSpan holds, so the secret can still be listed and fixed with 'secret update'.
    /// </summary>
    internal static TimeSpan ParseStored(string text, string what) => Parse(text, what, TimeSpan.MaxValue / 2);

    private static TimeSpan Parse(string? text, string what, TimeSpan max)
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
            // Checked before each addition: every part is at most 9 digits and the running total at most the bound, so
            // neither the product nor the sum can overflow.
            if (amount > max.Ticks / size.Ticks || (total += size * amount) > max)
            {
                throw PgRotateException.InvalidInput($"{what} {Sql.Printable(text)} is too long: at most 10 years (3650d)");
            }
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

    // [0-9], not \d: \d also matches other scripts' digits (Arabic-Indic ٣), which long.Parse then refuses. \z, not $:
    // $ also matches before a final newline.
    [GeneratedRegex(@"\A(?:(?<part>[0-9]{1,9}[smhdw]))+\z")]
    private static partial Regex DurationPattern();
}

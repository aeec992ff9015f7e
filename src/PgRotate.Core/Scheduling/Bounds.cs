namespace PgRotate.Scheduling;

/// <summary>
/// The limits every duration and schedule is checked against while it is parsed, before anything is stored or a server
/// is touched: a value past them would overflow a date (year 9999) in a later step, after roles were already changed.
/// </summary>
public static class Bounds
{
    /// <summary>The longest interval, grace or wait accepted: 10 years, written 3650d.</summary>
    internal static readonly TimeSpan MaxDuration = TimeSpan.FromDays(3650);

    /// <summary>The shortest rotation interval, and the most often a cron schedule may fire.</summary>
    internal static readonly TimeSpan MinInterval = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The grace of a secret without a schedule when none is given: the previous login must stop working some day, and a
    /// day covers a deploy of every client.
    /// </summary>
    public static readonly TimeSpan DefaultGraceWithoutSchedule = TimeSpan.FromHours(24);
}

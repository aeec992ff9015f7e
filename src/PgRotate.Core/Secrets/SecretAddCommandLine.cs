using System.Text.RegularExpressions;
using PgRotate.Scheduling;

namespace PgRotate.Secrets;

/// <summary>
/// The <c>pgrotate secret add …</c> command line that sets up a secret exactly as stored: rerunning it recreates
/// missing roles and changes nothing else, so it is the fix printed for a dropped role.
/// </summary>
internal static partial class SecretAddCommandLine
{
    public static string For(Secret secret)
    {
        var args = new List<string> { "pgrotate", "secret", "add", secret.Name, "--target", secret.Target, "--group", secret.Group.Value };
        // --strategy only when it is not the default; --logins only when they are not the names derived from the group.
        if (secret.Strategy != StrategyNames.Default)
        {
            args.AddRange(["--strategy", secret.Strategy.WireName()]);
        }
        else if (secret.LoginA.Value != secret.Group.Value + "_a" || secret.LoginB?.Value != secret.Group.Value + "_b")
        {
            args.AddRange(["--logins", $"{secret.LoginA},{secret.LoginB}"]);
        }

        if (secret.Schedule is { } schedule)
        {
            args.AddRange(schedule.Interval is { } interval ? ["--every", Durations.Format(interval)] : ["--cron", schedule.Expression]);
            if (schedule.TimeZone is { } zone)
            {
                args.AddRange(["--time-zone", zone.Id]);
            }

            if (schedule.Window is { } window)
            {
                args.AddRange(["--window", window.ToString()]);
            }

            if (schedule.Jitter is { } jitter)
            {
                args.AddRange(["--jitter", Durations.Format(jitter)]);
            }
        }

        if (secret.Grace is { } grace)
        {
            args.AddRange(["--grace", Durations.Format(grace)]);
        }

        if (secret.CheckSql is { } checkSql)
        {
            args.AddRange(["--check-sql", checkSql]);
        }

        return string.Join(" ", args.Select(Quote));
    }

    /// <summary>Single-quotes a word for a POSIX shell unless it is plainly safe as it is.</summary>
    private static string Quote(string word) => SafeWord().IsMatch(word) ? word : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    [GeneratedRegex(@"^[A-Za-z0-9_./:,=@+-]+\z")]
    private static partial Regex SafeWord();
}

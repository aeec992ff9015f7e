using System.CommandLine;
using System.Globalization;
using PgRotate.Cli.Output;
using PgRotate.Errors;
using PgRotate.Scheduling;
using PgRotate.Secrets;

namespace PgRotate.Cli.Commands;

/// <summary><c>pgrotate history NAME [--limit N] [--since DURATION|TIMESTAMP]</c>.</summary>
public static class HistoryCommand
{
    public static Command Create(CommandFactory commands)
    {
        var name = new Argument<string>("name") { Description = "Secret name" };
        // Text, parsed here: a number out of range or not a number gets a plain message, not a .NET type name.
        var limit = new Option<string?>("--limit") { Description = "Show only the most recent N entries" };
        var since = new Option<string?>("--since") { Description = "Show only entries from this long ago (e.g. 7d, 12h) or since this UTC time (e.g. 2026-11-01 or 2026-11-01T08:00:00Z)" };
        return commands.Command("history", "Show what happened to a secret: creation, each rotation, failures, adoption (oldest first)", async (context, parse, cancellationToken) =>
        {
            var secretName = SecretName.ParseSecret(parse.GetValue(name));
            int? count = parse.GetValue(limit) is { } text
                ? int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1
                    ? n
                    : throw PgRotateException.InvalidInput($"--limit takes a number of entries from 1 to {int.MaxValue}, not {Postgres.Sql.Printable(text)}")
                : null;

            var from = parse.GetValue(since) is { } sinceText ? ParseSince(sinceText, context.Time.GetUtcNow()) : (DateTimeOffset?)null;
            var store = await context.OpenStoreAsync(cancellationToken);
            var secret = await store.GetSecretAsync(secretName, cancellationToken);
            var entries = await store.ListHistoryAsync(secret.Name, from, count, cancellationToken);
            if (context.Json)
            {
                await context.Out.WriteLineAsync(JsonOutput.Serialize(entries.Select(e => new { at = e.At, @event = e.Event, version = e.Version, detail = e.Detail })));
            }
            else
            {
                TextTable.Write(context.Out, ["AT", "EVENT", "VERSION", "DETAIL"], entries.Select(e => (IReadOnlyList<string>)
                    [e.At.ToString("u", CultureInfo.InvariantCulture), e.Event, e.Version?.ToString(CultureInfo.InvariantCulture) ?? "-", e.Detail ?? ""]));
            }

            return ExitCodes.Ok;
        }, name, limit, since);
    }

    /// <summary>A duration back from now, or a point in time (UTC unless it says otherwise).</summary>
    private static DateTimeOffset ParseSince(string text, DateTimeOffset now)
    {
        // A date always has a '-' and a duration never does, so the two forms cannot be mistaken for each other.
        if (text.Contains('-', StringComparison.Ordinal))
        {
            return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
                ? time
                : throw PgRotateException.InvalidInput($"--since {Postgres.Sql.Printable(text)} is neither a duration (e.g. 7d, 12h) nor a time (e.g. 2026-11-01 or 2026-11-01T08:00:00Z)");
        }

        var back = Durations.Parse(text, "--since");
        return back.Ticks >= (now - DateTimeOffset.MinValue).Ticks ? DateTimeOffset.MinValue : now - back;
    }
}

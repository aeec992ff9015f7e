using System.CommandLine;
using System.Globalization;
using PgRotate.Audit;
using PgRotate.Cli.Output;
using PgRotate.Contracts;
using PgRotate.Errors;

namespace PgRotate.Cli.Commands;

/// <summary><c>pgrotate audit verify|tail</c>: the store's tamper-evident log of credential reads and rotations.</summary>
public static class AuditCommands
{
    /// <summary>How often <c>audit tail -f</c> asks the store for entries after the last one it printed.</summary>
    public static readonly TimeSpan FollowInterval = TimeSpan.FromMilliseconds(500);

    public static Command Create(CommandFactory commands)
    {
        var audit = new Command("audit", "Check and read the audit log: every credential read and rotation, hash-chained in the store");
        audit.Subcommands.Add(commands.Command("verify",
            "Check that no audit entry was edited, deleted, inserted or reordered; exits 6 naming the first bad entry",
            async (context, _, cancellationToken) =>
            {
                var store = await context.OpenStoreAsync(cancellationToken);
                var verification = await store.Audit.VerifyAsync(cancellationToken);
                if (!verification.Intact)
                {
                    throw new PgRotateException(ErrorCode.StoreCorrupt,
                        $"the audit log of store {store.Location} is damaged at entry {verification.FirstBadSequence}: {verification.Problem}; {verification.EntriesChecked} entries before it are intact");
                }

                await context.Out.WriteLineAsync(context.Json
                    ? JsonOutput.Serialize(new AuditVerificationResult(verification.EntriesChecked, verification.FirstBadSequence, verification.Problem, verification.Intact))
                    : $"audit log intact: {verification.EntriesChecked} entries");
                return ExitCodes.Ok;
            }));
        audit.Subcommands.Add(Tail(commands));
        return audit;
    }

    private static Command Tail(CommandFactory commands)
    {
        var count = new Option<int>("-n", "--lines")
        {
            Description = "How many of the last entries to show first (0: none, only what follows with -f)",
            DefaultValueFactory = _ => 10,
            CustomParser = result => WholeNumbers.Parse(result, "-n", 0, 100_000),
        };
        var follow = new Option<bool>("-f", "--follow") { Description = "Keep printing new entries as they are appended, until Ctrl-C" };
        return commands.Command("tail", "Show the last audit entries, oldest first (never a secret value)", async (context, parse, cancellationToken) =>
        {
            var store = await context.OpenStoreAsync(cancellationToken);
            var last = await store.Audit.LastSequenceAsync(cancellationToken);
            var first = await store.Audit.ListAsync(Math.Max(0, last - parse.GetValue(count)), parse.GetValue(count), cancellationToken);
            var following = parse.GetValue(follow);
            if (context.Json && !following)
            {
                await context.Out.WriteLineAsync(JsonOutput.Serialize(first.Select(e => ToEvent(e)).ToList()));
                return ExitCodes.Ok;
            }

            await WriteAsync(context, first);
            if (!following)
            {
                return ExitCodes.Ok;
            }

            try
            {
                while (true)
                {
                    await Task.Delay(FollowInterval, context.Time, cancellationToken);
                    var next = await store.Audit.ListAsync(last, 1000, cancellationToken);
                    if (next.Count > 0)
                    {
                        last = next[^1].Sequence;
                        await WriteAsync(context, next);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl-C is how a followed tail ends.
                return ExitCodes.Ok;
            }
        }, count, follow);
    }

    private static async Task WriteAsync(CliContext context, IReadOnlyList<AuditEntry> entries)
    {
        foreach (var entry in entries)
        {
            // With -f, one compact JSON object per line (JSON Lines): a reader takes the log line by line as it grows.
            await context.Out.WriteLineAsync(context.Json ? JsonOutput.SerializeLine(ToEvent(entry)) : Line(entry));
        }

        await context.Out.FlushAsync();
    }

    /// <summary>An entry as the wire record (the API's <c>GET /v1/audit</c> writes the same).</summary>
    private static AuditEvent ToEvent(AuditEntry entry) => new(
        entry.Sequence, entry.At, entry.Record.Action, entry.Record.Actor, entry.Record.Secret, entry.Record.Version, entry.Record.Address, entry.Record.Detail);

    /// <summary>One entry on one line: sequence, time, action, then whichever of actor, secret, version, address and detail it has.</summary>
    private static string Line(AuditEntry entry)
    {
        var record = entry.Record;
        var parts = new List<string>
        {
            entry.Sequence.ToString(CultureInfo.InvariantCulture),
            entry.At.ToString("yyyy-MM-dd HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            record.Action,
        };
        AddIf(parts, "actor", record.Actor);
        AddIf(parts, "secret", record.Secret);
        AddIf(parts, "version", record.Version?.ToString(CultureInfo.InvariantCulture));
        AddIf(parts, "address", record.Address);
        AddIf(parts, "detail", record.Detail);
        // Stored text may have been edited to hold anything: one entry stays on one line.
        return string.Concat(string.Join("  ", parts).Select(c => char.IsControl(c) ? '?' : c));
    }

    private static void AddIf(List<string> parts, string name, string? value)
    {
        if (value is not null)
        {
            parts.Add($"{name}={value}");
        }
    }
}

using System.Collections.Frozen;
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using PgRotate.Errors;

namespace PgRotate.Cli;

/// <summary>
/// What pgrotate adds to System.CommandLine's help: examples under every command, the exit codes under the top-level
/// help, and optional arguments written as optional (<c>[&lt;name&gt;]</c>) in the command lists too. Kept in one
/// place, keyed by command path, so that command files stay about what the commands do.
/// </summary>
public static partial class HelpText
{
    /// <summary>Examples by command path ("" is the top level). Every command has at least one (a test checks it).</summary>
    public static readonly FrozenDictionary<string, IReadOnlyList<string>> Examples = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
    {
        [""] =
        [
            "pgrotate demo                                   # see it work on a throwaway PostgreSQL",
            "pgrotate init && pgrotate target add … && pgrotate secret add …",
        ],
        ["init"] = ["pgrotate init", "pgrotate init --store /var/lib/pgrotate/pgrotate.db"],
        ["target"] = ["pgrotate target add orders-db --conn \"Host=db.internal;Database=orders;Username=rotator\" --password-stdin", "pgrotate target list"],
        ["target add"] =
        [
            "printf '%s\\n' \"$ADMIN_PASSWORD\" | pgrotate target add orders-db --conn \"Host=db.internal;Port=5432;Database=orders;Username=rotator\" --password-stdin",
        ],
        ["target list"] = ["pgrotate target list", "pgrotate target list --json"],
        ["target check"] = ["pgrotate target check orders-db", "pgrotate target check orders-db --group orders"],
        ["target rotate-admin"] = ["pgrotate target rotate-admin orders-db"],
        ["target update"] = ["printf '%s\\n' \"$NEW_ADMIN_PASSWORD\" | pgrotate target update orders-db --password-stdin"],
        ["target remove"] = ["pgrotate target remove orders-db"],
        ["secret"] = ["pgrotate secret add orders/app --target orders-db --group orders --every 30d", "pgrotate secret list"],
        ["secret add"] =
        [
            "pgrotate secret add orders/app --target orders-db --group orders --every 30d --grace 1h --dry-run",
            "pgrotate secret add orders/app --target orders-db --group orders --adopt     # take over a running single-login app",
        ],
        ["secret list"] = ["pgrotate secret list"],
        ["secret show"] = ["pgrotate secret show orders/app"],
        ["secret update"] =
        [
            "pgrotate secret update orders/app --every 7d --grace 2h",
            "pgrotate secret update orders/app --no-schedule --no-check-sql",
        ],
        ["secret adopt-finish"] = ["pgrotate secret adopt-finish orders/app --quiet-period 10m"],
        ["secret remove"] = ["pgrotate secret remove orders/app --dry-run"],
        ["rotate"] =
        [
            "pgrotate rotate orders/app",
            "pgrotate rotate orders/app --revoke-previous --terminate   # after a leak: the old login stops now",
            "pgrotate rotate --all-due                                  # from cron or a systemd timer, every minute",
        ],
        ["agent"] =
        [
            "pgrotate agent --server https://pgrotate.internal:8443 --token-file /etc/pgrotate/agent.token --render orders/app:service:/etc/pg_service.conf",
            "pgrotate agent --server … --token-file … --render orders/app:env:/run/orders/db.env --once   # init container",
            "pgrotate agent --server … --token-file … --pgbouncer-databases orders/app:orders:/etc/pgbouncer/pgrotate.ini --pgbouncer-pidfile /run/postgresql/pgbouncer.pid",
            "pgrotate agent --server … --token-file … --render orders/instances:service:/etc/pg_service.conf --lease --lease-ttl 1h   # a dynamic secret: a login of its own",
        ],
        ["get"] = ["pgrotate get orders/app --format conn", "pgrotate get orders/app --format env > /run/orders/db.env"],
        ["history"] = ["pgrotate history orders/app"],
        ["lease"] = ["pgrotate lease issue orders/instances --ttl 1h", "pgrotate lease list --secret orders/instances"],
        ["lease issue"] = ["pgrotate lease issue orders/instances --ttl 1h --format env > /run/orders/db.env"],
        ["lease renew"] = ["pgrotate lease renew lease_0123456789abcdefghijklmn --ttl 1h"],
        ["lease revoke"] = ["pgrotate lease revoke lease_0123456789abcdefghijklmn"],
        ["lease list"] = ["pgrotate lease list", "pgrotate lease list --secret orders/instances --all --json"],
        ["lease reap"] = ["pgrotate lease reap        # from cron or a systemd timer, every minute, when 'serve' does not run"],
        ["audit"] = ["pgrotate audit verify", "pgrotate audit tail -n 50"],
        ["audit verify"] = ["pgrotate audit verify                       # exits 6 naming the first bad entry"],
        ["audit tail"] = ["pgrotate audit tail -n 20", "pgrotate audit tail -f --json | jq .action   # one JSON object per line, until Ctrl-C"],
        ["check"] = ["pgrotate check", "pgrotate check orders/app --json"],
        ["demo"] = ["pgrotate demo", "pgrotate demo --workers 16 --duration 60s", "pgrotate demo --strategy single --no-client-retry --no-pooling", "pgrotate demo --json --duration 5s"],
        ["token"] = ["pgrotate token create --name orders-svc --policy 'read:orders/*' --ttl 90d", "pgrotate token list", "pgrotate token revoke orders-svc"],
        ["token create"] = ["pgrotate token create --name orders-svc --policy 'read:orders/*' --policy 'rotate:orders/app' --ttl 90d"],
        ["token list"] = ["pgrotate token list", "pgrotate token list --json"],
        ["token revoke"] = ["pgrotate token revoke orders-svc"],
        ["serve"] = ["pgrotate serve", "pgrotate serve --listen https://0.0.0.0:8443 --tls-cert /etc/pgrotate/tls.crt --tls-key /etc/pgrotate/tls.key"],
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>
    /// Replaces the help action of <paramref name="root"/> (shared by all its commands) with one that writes the same
    /// help, optional arguments marked as such, then the examples and, at the top level, the exit codes.
    /// System.CommandLine 3 keeps its help builder internal, so this wraps the finished text instead.
    /// </summary>
    public static void Install(RootCommand root)
    {
        var help = root.Options.OfType<HelpOption>().Single();
        if (help.Action is HelpAction standard)
        {
            help.Action = new ExtendedHelpAction(standard);
        }
    }

    /// <summary>The help text for <paramref name="command"/>, as <c>--help</c> prints it after the standard part.</summary>
    public static string Extend(string standard, Command command)
    {
        var optional = command.Subcommands.Where(c => !c.Hidden).ToDictionary(
            c => string.Join(' ', new[] { c.Name }.Concat(c.Arguments.Where(a => !a.Hidden).Select(a => $"<{a.Name}>"))),
            Label, StringComparer.Ordinal);
        var text = Relabel(standard, "Commands:", optional);
        text = Relabel(text, "Arguments:", command.Arguments.Where(a => a.Arity.MinimumNumberOfValues == 0)
            .ToDictionary(a => $"<{a.Name}>", a => $"[<{a.Name}>]", StringComparer.Ordinal));
        var extra = new System.Text.StringBuilder();
        if (Examples.TryGetValue(PathOf(command), out var examples))
        {
            extra.AppendLine("Examples:");
            foreach (var example in examples)
            {
                extra.AppendLine("  " + example);
            }

            extra.AppendLine();
        }

        if (command is RootCommand)
        {
            extra.AppendLine("Exit codes:");
            var rows = new List<(int Code, string Meaning)> { (ExitCodes.Ok, "ok"), (ExitCodes.Failure, "unexpected failure") };
            rows.AddRange(Enum.GetValues<ErrorCode>().Select(code => (ExitCodes.For(code), Meaning(code))));
            foreach (var group in rows.GroupBy(r => r.Code).OrderBy(g => g.Key))
            {
                extra.AppendLine(System.FormattableString.Invariant($"  {group.Key,3}  {string.Join("; ", group.Select(r => r.Meaning).Distinct())}"));
            }

            extra.AppendLine();
        }

        return text + extra;
    }

    /// <summary>"rotate [&lt;name&gt;]": a command with its arguments, optional ones in brackets.</summary>
    private static string Label(Command command) =>
        string.Join(' ', new[] { command.Name }.Concat(command.Arguments.Where(a => !a.Hidden)
            .Select(a => a.Arity.MinimumNumberOfValues == 0 ? $"[<{a.Name}>]" : $"<{a.Name}>")));

    /// <summary>
    /// Rewrites the first-column labels of one two-column section ("  label   description", continuation lines indented
    /// to the second column) and re-aligns the section to the new widest label.
    /// </summary>
    private static string Relabel(string help, string heading, IReadOnlyDictionary<string, string> labels)
    {
        var lines = help.Split('\n').ToList();
        var start = lines.FindIndex(l => l.TrimEnd('\r') == heading);
        if (start < 0 || labels.All(l => l.Key == l.Value))
        {
            return help;
        }

        var end = lines.FindIndex(start + 1, l => l.Trim().Length == 0);
        end = end < 0 ? lines.Count : end;
        var rows = new List<(string Label, List<string> Text)>();
        for (var i = start + 1; i < end; i++)
        {
            var line = lines[i].TrimEnd('\r');
            var row = RowPattern().Match(line);
            if (row.Success && !line.StartsWith("   ", StringComparison.Ordinal))
            {
                var label = row.Groups["label"].Value;
                rows.Add((labels.GetValueOrDefault(label, label), [row.Groups["text"].Value]));
            }
            else if (rows.Count > 0)
            {
                rows[^1].Text.Add(line.Trim());
            }
        }

        var width = rows.Max(r => r.Label.Length) + 2;
        var rebuilt = rows.SelectMany(r => r.Text.Select((t, n) => "  " + (n == 0 ? r.Label : "").PadRight(width) + t)).ToList();
        lines.RemoveRange(start + 1, end - start - 1);
        lines.InsertRange(start + 1, rebuilt);
        return string.Join('\n', lines);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\A  (?<label>\S(?:.*?\S)?)(?:\s{2,}(?<text>.*))?\z")]
    private static partial System.Text.RegularExpressions.Regex RowPattern();

    public static string PathOf(Command command)
    {
        var names = new List<string>();
        for (Symbol? symbol = command; symbol is Command c && symbol is not RootCommand; symbol = c.Parents.FirstOrDefault())
        {
            names.Insert(0, c.Name);
        }

        return string.Join(' ', names);
    }

    private static string Meaning(ErrorCode code) => code switch
    {
        ErrorCode.InvalidInput => "bad usage or input (nothing was changed)",
        ErrorCode.NotFound => "no such secret, target or version",
        ErrorCode.AlreadyExists => "already exists (with other settings)",
        ErrorCode.StoreMissing => "no store at the path given",
        ErrorCode.StoreCorrupt => "store damaged or modified outside pgrotate",
        ErrorCode.MasterKeyMissing => "no master key",
        ErrorCode.MasterKeyMismatch => "wrong master key",
        ErrorCode.TargetUnreachable => "target unreachable",
        ErrorCode.AuthenticationFailed => "authentication failed",
        ErrorCode.PermissionDenied => "permission denied (the message names the GRANT)",
        ErrorCode.IncompatibleState => "roles or secret in a state that does not allow it (e.g. inside a grace)",
        ErrorCode.RotationInProgress => "another pgrotate process is rotating it",
        ErrorCode.RotationFailed => "rotation failed (for --all-due: at least one secret failed)",
        ErrorCode.DriftDetected => "drift found by 'pgrotate check'",
        ErrorCode.ClientsStillConnected => "clients still connected (adopt-finish)",
        ErrorCode.PostgresError => "other PostgreSQL error",
        _ => code.WireName().Replace('_', ' '),
    };
}

/// <summary>The standard help, captured, then extended by <see cref="HelpText.Extend"/>.</summary>
internal sealed class ExtendedHelpAction(HelpAction standard) : SynchronousCommandLineAction
{
    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        var configuration = parseResult.InvocationConfiguration;
        var output = configuration.Output;
        using var buffer = new StringWriter();
        configuration.Output = buffer;
        try
        {
            standard.Invoke(parseResult);
        }
        finally
        {
            configuration.Output = output;
        }

        output.Write(HelpText.Extend(buffer.ToString(), parseResult.CommandResult.Command));
        return 0;
    }
}

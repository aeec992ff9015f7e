using System.CommandLine;
using PgRotate.Cli.Commands;
using PgRotate.Errors;

namespace PgRotate.Cli;

/// <summary>
/// Builds the command tree and runs one command line. The only place errors become output: a
/// <see cref="PgRotateException"/> is one line <c>pgrotate: …</c> on stderr and its exit code; anything else is one
/// line too, with the stack trace only under --verbose.
/// </summary>
public static partial class CliApp
{
    public static async Task<int> RunAsync(string[] args, CliHost host, CancellationToken cancellationToken)
    {
        var options = new GlobalOptions();
        var root = BuildRoot(host, options);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            var command = parse.CommandResult.Command;
            var path = command == root ? "pgrotate" : $"pgrotate {string.Join(' ', CommandPath(parse))}";
            if (args.Length == 0)
            {
                // Bare 'pgrotate': the help on stdout, and still exit 2 with one line on stderr, so that a script or
                // cron line that lost its arguments does not pass for a success.
                await root.Parse("--help").InvokeAsync(new InvocationConfiguration { Output = host.Out, Error = host.Error }, cancellationToken);
                await host.Error.WriteLineAsync("pgrotate: no command given (see 'pgrotate --help')");
                return ExitCodes.Usage;
            }

            await host.Error.WriteLineAsync($"pgrotate: {UsageMessage(parse)} (see '{path} --help')");
            return ExitCodes.Usage;
        }

        if (parse.Action is not ExtendedHelpAction && StoreFolderMessage(parse, host, options) is { } folder)
        {
            await host.Error.WriteLineAsync($"pgrotate: {folder}");
            return ExitCodes.Usage;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration
            {
                Output = host.Out,
                Error = host.Error,
                EnableDefaultExceptionHandler = false,
                // Ctrl-C or SIGTERM cancels the command's token; System.CommandLine ends the process (exit 130, nothing
                // more printed) when the command has not returned this long after. Its default, 2 s, cut short the
                // demo's summary and clean-up (stopping pgbench, pgbouncer and the throwaway cluster) on a busy machine.
                ProcessTerminationTimeout = TimeSpan.FromSeconds(30),
            }, cancellationToken);
        }
        catch (PgRotateException e)
        {
            await host.Error.WriteLineAsync($"pgrotate: {OneLine(e.Message)}");
            return ExitCodes.For(e.Code);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await host.Error.WriteLineAsync("pgrotate: cancelled");
            return 130;
        }
        catch (Exception e)
        {
            await host.Error.WriteLineAsync($"pgrotate: unexpected error: {OneLine(Postgres.PostgresErrors.Scrub(e.Message))} ({e.GetType().Name}; --verbose shows details)");
            if (parse.GetValue(options.Verbose))
            {
                await host.Error.WriteLineAsync(e.ToString());
            }

            return ExitCodes.Failure;
        }
    }

    private static IEnumerable<string> CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result.Parent is System.CommandLine.Parsing.CommandResult parent; result = parent)
        {
            names.Insert(0, result.Command.Name);
        }

        return names;
    }

    /// <summary>
    /// The parse error in plain words: an unknown command is named as one (with the nearest command when it looks like a
    /// typo), and a value of the wrong type says what is expected instead of naming a .NET type such as System.Int32.
    /// </summary>
    private static string UsageMessage(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        if (command.Subcommands.Count > 0 && parse.UnmatchedTokens.FirstOrDefault() is { } word && !word.StartsWith('-'))
        {
            var names = command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();
            var nearest = CommandSuggestion.Nearest(word, names);
            return $"unknown command {Postgres.Sql.Printable(word)}" + (nearest is null
                ? $"; the commands are {string.Join(", ", names)}"
                : $"; did you mean '{nearest}'?");
        }

        if (command.Subcommands.Count > 0 && parse.Errors.Any(e => e.Message.StartsWith("Required command", StringComparison.Ordinal)))
        {
            return $"give one of the commands {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}";
        }

        var message = OneLine(parse.Errors[0].Message);
        var wrongType = WrongTypePattern().Match(message);
        return wrongType.Success
            ? $"{wrongType.Groups["name"].Value} takes {Expected(wrongType.Groups["type"].Value)}, not {Postgres.Sql.Printable(wrongType.Groups["value"].Value)}"
            : message;
    }

    private static string Expected(string type) => type switch
    {
        "System.Int32" or "System.Int64" or "System.Int16" => "a whole number",
        "System.Boolean" => "true or false",
        _ => "another kind of value",
    };

    [System.Text.RegularExpressions.GeneratedRegex(@"\ACannot parse argument '(?<value>.*)' for (?:option|argument) '(?<name>[^']*)' as expected type '(?<type>[^']*)'")]
    private static partial System.Text.RegularExpressions.Regex WrongTypePattern();

    /// <summary>
    /// A store path that names a folder (a common slip: '--store /var/lib/pgrotate') is explained before any command
    /// runs, rather than failing later as an I/O error or "no store".
    /// </summary>
    private static string? StoreFolderMessage(ParseResult parse, CliHost host, GlobalOptions options)
    {
        var store = parse.GetValue(options.Store) ?? host.Environment(CliContext.StoreVariable);
        if (!string.IsNullOrEmpty(store) && Directory.Exists(host.ResolvePath(store)))
        {
            return $"the store path {Postgres.Sql.Printable(store)} is a folder; give a file path such as {Postgres.Sql.Printable(Path.Combine(store, "pgrotate.db"))}";
        }

        var keyFile = parse.GetValue(options.KeyFile) ?? host.Environment(CliContext.KeyFileVariable);
        return !string.IsNullOrEmpty(keyFile) && Directory.Exists(host.ResolvePath(keyFile))
            ? $"the key file path {Postgres.Sql.Printable(keyFile)} is a folder; give a file path such as {Postgres.Sql.Printable(Path.Combine(keyFile, "pgrotate.db.key"))}"
            : null;
    }

    /// <summary>Errors are one line on stderr, even where System.CommandLine lists choices on several.</summary>
    internal static string OneLine(string message) =>
        string.Join(' ', message.Split((char[])[' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries));

    public static RootCommand BuildRoot(CliHost host, GlobalOptions options)
    {
        var root = new RootCommand(
            """
            pgrotate: zero-downtime credential rotation for PostgreSQL.

            Generates passwords nobody knows and rotates them with the alternating-users pattern: a NOLOGIN group role
            owns everything, two login roles (foo_a, foo_b) take turns and default to it (ALTER ROLE … SET role), so
            clients move to the new login on their next connection while the old one stays valid for a grace period.
            Start with 'pgrotate demo' (a throwaway PostgreSQL, nothing to set up), or: init → target add → secret add.
            """);
        options.AddTo(root);
        var commands = new CommandFactory(host, options);
        root.Subcommands.Add(InitCommand.Create(commands));
        root.Subcommands.Add(TargetCommands.Create(commands));
        root.Subcommands.Add(SecretCommands.Create(commands));
        root.Subcommands.Add(RotateCommand.Create(commands));
        root.Subcommands.Add(GetCommand.Create(commands));
        root.Subcommands.Add(HistoryCommand.Create(commands));
        root.Subcommands.Add(AuditCommands.Create(commands));
        root.Subcommands.Add(CheckCommand.Create(commands));
        root.Subcommands.Add(DemoCommand.Create(commands));
        root.Subcommands.Add(TokenCommands.Create(commands));
        root.Subcommands.Add(LeaseCommands.Create(commands));
        root.Subcommands.Add(ServeCommand.Create(commands));
        root.Subcommands.Add(Commands.Agent.AgentCommand.Create(commands));
        HelpText.Install(root);

        return root;
    }
}

using System.CommandLine;
using PgRotate.Cli.Commands;
using PgRotate.Errors;

namespace PgRotate.Cli;

/// <summary>
/// Builds the command tree and runs one command line. The only place errors become output: a
/// <see cref="PgRotateException"/> is one line <c>pgrotate: …</c> on stderr and its exit code; anything else is one
/// line too, with the stack trace only under --verbose.
/// </summary>
public static class CliApp
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
            await host.Error.WriteLineAsync($"pgrotate: {OneLine(parse.Errors[0].Message)} (see '{path} --help')");
            return ExitCodes.Usage;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration
            {
                Output = host.Out,
                Error = host.Error,
                EnableDefaultExceptionHandler = false,
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

    /// <summary>Errors are one line on stderr, even where System.CommandLine lists choices on several.</summary>
    private static string OneLine(string message) =>
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
        root.Subcommands.Add(CheckCommand.Create(commands));
        root.Subcommands.Add(DemoCommand.Create(commands));

        return root;
    }
}

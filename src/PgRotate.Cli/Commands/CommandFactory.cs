using System.CommandLine;

namespace PgRotate.Cli.Commands;

/// <summary>Gives each command's action a fresh <see cref="CliContext"/> and disposes it afterwards.</summary>
public sealed class CommandFactory(CliHost host, GlobalOptions options)
{
    public CliHost Host => host;

    public Command Command(string name, string description, Func<CliContext, ParseResult, CancellationToken, Task<int>> action, params Symbol[] symbols)
    {
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Argument argument:
                    command.Arguments.Add(argument);
                    break;
                case Option option:
                    command.Options.Add(option);
                    break;
            }
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var context = new CliContext(host, options, parse);
            return await action(context, parse, cancellationToken);
        });
        return command;
    }
}

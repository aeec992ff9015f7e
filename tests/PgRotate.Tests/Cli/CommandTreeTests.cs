using System.CommandLine;
using PgRotate.Cli;

namespace PgRotate.Tests.Cli;

/// <summary>
/// Each command tree is built from its own symbols: an argument shared between commands or between trees is state
/// that outlives one command line (its parent list grows with every tree built in the process).
/// </summary>
public sealed class CommandTreeTests
{
    [Fact]
    public void Every_argument_belongs_to_exactly_one_command_and_no_two_trees_share_one()
    {
        var first = Arguments(BuildRoot());
        var second = Arguments(BuildRoot());

        Assert.All(first.Concat(second), argument => Assert.Single(argument.Parents));
        Assert.Empty(first.Intersect(second, ReferenceEqualityComparer.Instance));
    }

    private static RootCommand BuildRoot() =>
        CliApp.BuildRoot(new CliHost(TextWriter.Null, TextWriter.Null, TextReader.Null, _ => null, "/", TimeProvider.System), new GlobalOptions());

    private static List<Argument> Arguments(Command command) =>
        [.. command.Arguments, .. command.Subcommands.SelectMany(Arguments)];
}

using System.CommandLine;
using PgRotate.Cli;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Cli;

/// <summary>
/// Help that gets a new user going: examples under every command, the exit codes at the top, optional arguments shown
/// as optional, bare 'pgrotate' printing the help, and a typo answered with the nearest command.
/// </summary>
public sealed class HelpTests(PostgresFixture postgres)
{
    public static TheoryData<string> CommandPaths()
    {
        var root = CliApp.BuildRoot(new CliHost(TextWriter.Null, TextWriter.Null, TextReader.Null, _ => null, "/", TimeProvider.System), new GlobalOptions());
        var data = new TheoryData<string>();
        foreach (var command in Descendants(root))
        {
            data.Add(HelpText.PathOf(command));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CommandPaths))]
    public async Task Every_commands_help_has_an_example_of_that_command(string path)
    {
        using var sandbox = new CliSandbox(postgres);

        var help = (await sandbox.RunAsync([.. path.Split(' '), "--help"])).Ok();

        var examples = help[(help.IndexOf("\nExamples:\n", StringComparison.Ordinal) + 1)..].Split('\n').Skip(1).TakeWhile(l => l.Length > 0).ToList();
        Assert.NotEmpty(examples);
        Assert.All(examples, e => Assert.Contains($"pgrotate {path}".TrimEnd(), e));
    }

    [Fact]
    public async Task The_top_level_help_of_the_real_binary_lists_every_exit_code_and_an_example()
    {
        using var sandbox = new CliSandbox(postgres);

        var help = (await CliProcess.RunAsync(sandbox, null, "--help")).Ok();

        Assert.Contains("\nExamples:\n  pgrotate demo", help);
        var codes = help[help.IndexOf("\nExit codes:\n", StringComparison.Ordinal)..].Split('\n').Skip(2).TakeWhile(l => l.Length > 0)
            .Select(l => int.Parse(l.TrimStart().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(Enumerable.Range(0, 18), codes);
        Assert.Contains("   12  roles or secret in a state that does not allow it (e.g. inside a grace)", help);
    }

    [Fact]
    public async Task Optional_arguments_are_shown_as_optional_in_the_command_list_and_the_command_help()
    {
        using var sandbox = new CliSandbox(postgres);

        var top = (await sandbox.RunAsync("--help")).Ok();
        var rotate = (await sandbox.RunAsync("rotate", "--help")).Ok();

        Assert.Contains("\n  rotate [<name>]  ", top);
        Assert.Contains("\n  check [<name>]  ", top);
        Assert.Contains("\n  get <name>  ", top);
        Assert.Contains("\nArguments:\n  [<name>]  Secret to rotate", rotate);
    }

    [Fact]
    public async Task Bare_pgrotate_prints_the_help_on_stdout_and_exits_2_with_one_line_on_stderr()
    {
        using var sandbox = new CliSandbox(postgres);

        var run = await CliProcess.RunAsync(sandbox, null);

        Assert.Equal("pgrotate: no command given (see 'pgrotate --help')", run.FailsWith(2));
        Assert.StartsWith("Description:", run.Out);
        Assert.Contains("\nCommands:\n", run.Out);
        Assert.Contains("\nExit codes:\n", run.Out);
    }

    [Theory]
    [InlineData("rotat", "rotate")]
    [InlineData("histroy", "history")]
    [InlineData("chek", "check")]
    public async Task A_typo_in_a_command_suggests_the_nearest_command(string typed, string meant)
    {
        using var sandbox = new CliSandbox(postgres);

        var line = (await CliProcess.RunAsync(sandbox, null, typed, "orders/app")).FailsWith(2);

        Assert.Equal($"pgrotate: unknown command '{typed}'; did you mean '{meant}'? (see 'pgrotate --help')", line);
    }

    [Fact]
    public async Task A_typo_in_a_subcommand_suggests_the_nearest_subcommand()
    {
        using var sandbox = new CliSandbox(postgres);

        var line = (await sandbox.RunAsync("secret", "updte", "orders/app")).FailsWith(2);

        Assert.Equal("pgrotate: unknown command 'updte'; did you mean 'update'? (see 'pgrotate secret --help')", line);
    }

    private static IEnumerable<Command> Descendants(Command command) =>
        new[] { command }.Concat(command.Subcommands.SelectMany(Descendants));
}

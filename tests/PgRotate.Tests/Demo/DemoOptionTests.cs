using PgRotate.Tests.Support;

namespace PgRotate.Tests.Demo;

/// <summary>Bad options of <c>pgrotate demo</c> are refused while parsing: one line on stderr, exit 2, nothing started.</summary>
public sealed class DemoOptionTests(PostgresFixture postgres)
{
    [Theory]
    [InlineData("--workers", "0")]
    [InlineData("--workers", "65")]
    [InlineData("--workers", "many")]
    [InlineData("--duration", "20")]
    [InlineData("--duration", "0s")]
    [InlineData("--duration", "2d")]
    [InlineData("--rotate-every", "2h")]
    [InlineData("--rotate-every", "-1s")]
    [InlineData("--strategy", "dynamic")]
    public async Task A_bad_option_is_refused_with_one_line_and_exit_2_before_anything_starts(string option, string value)
    {
        using var sandbox = new CliSandbox(postgres);

        var line = (await sandbox.RunAsync("demo", option, value)).FailsWith(2);

        // Our own checks name the option; System.CommandLine's list check names the value it did not recognise.
        Assert.True(line.Contains(option, StringComparison.Ordinal) || line.Contains(value, StringComparison.Ordinal), line);
        Assert.Empty(Directory.EnumerateFileSystemEntries(sandbox.Directory));
    }
}

namespace PgRotate.Tests.Support;

/// <summary>What one in-process run of the CLI printed and returned.</summary>
public sealed record CliRun(int ExitCode, string Out, string Error)
{
    /// <summary>Asserts success and returns stdout; on failure the message shows stderr.</summary>
    public string Ok()
    {
        Assert.True(ExitCode == 0, $"exit {ExitCode}; stderr: {Error}; stdout: {Out}");
        return Out;
    }

    /// <summary>Asserts a failure with exactly one line on stderr starting with "pgrotate: ", and returns that line.</summary>
    public string FailsWith(int exitCode)
    {
        Assert.True(ExitCode == exitCode, $"expected exit {exitCode}, got {ExitCode}; stderr: {Error}; stdout: {Out}");
        var lines = Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("pgrotate: ", lines[0]);
        return lines[0];
    }
}

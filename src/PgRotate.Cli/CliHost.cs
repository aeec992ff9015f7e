namespace PgRotate.Cli;

/// <summary>
/// Everything the CLI takes from its process: streams, environment, working folder and clock. Tests build one with
/// string writers and a dictionary, so commands run in-process without touching the real environment.
/// </summary>
public sealed record CliHost(
    TextWriter Out,
    TextWriter Error,
    TextReader In,
    Func<string, string?> Environment,
    string WorkingDirectory,
    TimeProvider Time)
{
    public static CliHost FromProcess() => new(
        Console.Out, Console.Error, Console.In, System.Environment.GetEnvironmentVariable, Directory.GetCurrentDirectory(), TimeProvider.System);

    public string ResolvePath(string path) => Path.GetFullPath(path, WorkingDirectory);
}

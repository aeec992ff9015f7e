using System.Text.RegularExpressions;
using PgRotate.Cli.Commands.Agent;

namespace PgRotate.Cli.Commands.Demo;

/// <summary>
/// <c>pgrotate agent</c> run in this process, exactly as its command line would run it, against the demo's server:
/// it keeps the service file (and, with pgbouncer, pgbouncer's database line) current. Its token reaches it as
/// <c>PGROTATE_TOKEN</c> in its own environment view, never as an argument; what it prints is kept apart, not shown.
/// </summary>
internal sealed partial class InProcessAgent(DemoApi api, IReadOnlyList<string> arguments, string workingDirectory, TimeProvider time)
{
    private readonly StringWriter _text = new();
    private TextWriter? _synchronized;

    // The agent's watchers may write from several threads, hence the synchronized wrapper; its ToString is not the
    // text, so the text is read from the writer underneath, once the agent has finished.
    private TextWriter Writer => _synchronized ??= TextWriter.Synchronized(_text);

    /// <summary>What the agent printed (one line per file written; never a password), for a failure's message.</summary>
    public string Output => _text.ToString();

    /// <summary>The version the agent last wrote into <paramref name="path"/>, read from its own log line; null before the first.</summary>
    public int? LastVersion(string path) =>
        Rendered(path).Select(m => (int?)int.Parse(m.Groups["version"].Value, System.Globalization.CultureInfo.InvariantCulture)).LastOrDefault();

    /// <summary>How many times the agent wrote <paramref name="path"/> (it writes a file only when its content changed).</summary>
    public int Writes(string path) => Rendered(path).Count();

    private IEnumerable<Match> Rendered(string path) => RenderedLine().Matches(Output).Where(m => m.Groups["path"].Value == path);

    /// <summary>Renders the current credential once and returns (the files exist when this completes).</summary>
    public async Task RenderOnceAsync(CancellationToken cancellationToken)
    {
        var exit = await RunAsync(["--once"], cancellationToken);
        if (exit != ExitCodes.Ok)
        {
            throw new InvalidOperationException($"pgrotate agent --once exited {exit}: {Output}");
        }
    }

    /// <summary>Follows the secret until <paramref name="cancellationToken"/> is cancelled.</summary>
    public Task<int> FollowAsync(CancellationToken cancellationToken) => RunAsync([], cancellationToken);

    private Task<int> RunAsync(IReadOnlyList<string> extra, CancellationToken cancellationToken)
    {
        var host = new CliHost(Writer, Writer, TextReader.Null, name => name == ExecHook.TokenVariable ? api.Token : null, workingDirectory, time);
        return CliApp.RunAsync(["agent", "--server", api.Server.ToString(), .. arguments, .. extra], host, cancellationToken);
    }

    [GeneratedRegex(@"^rendered (?<path>.+): \S+ version (?<version>\d+), login", RegexOptions.Multiline)]
    private static partial Regex RenderedLine();
}

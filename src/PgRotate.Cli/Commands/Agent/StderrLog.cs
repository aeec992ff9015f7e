using Microsoft.Extensions.Logging;

namespace PgRotate.Cli.Commands.Agent;

/// <summary>
/// The client library's warnings while the agent runs (the server unreachable) as pgrotate's own stderr lines,
/// <c>pgrotate: warning: …</c>: an operator must see that files may go stale, with or without --verbose. Its
/// information lines (each change) are left out: the agent logs each file it writes already. The library never puts a
/// password in a message.
/// </summary>
internal sealed class StderrLog(TextWriter error) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var line = $"pgrotate: warning: {CliApp.OneLine(formatter(state, exception))}";
        // The watchers of several secrets report from their own threads; the writer may not be thread-safe.
        lock (error)
        {
            error.WriteLine(line);
            error.Flush();
        }
    }
}

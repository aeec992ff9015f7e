using Microsoft.Extensions.Logging;

namespace PgRotate.Cli.Commands.Agent;

/// <summary>
/// What the client library's <c>LeaseKeeper</c> reports while the agent holds leases: its lease events (renewed, moved
/// to a fresh lease, revoked, kept again after an outage) as lines of the agent's log, so an operator sees a lease's
/// life beside the files written; its warnings (a renewal or revocation that failed) on stderr as
/// <see cref="StderrLog"/> writes them. The keeper's messages name leases and logins, never a password.
/// </summary>
internal sealed class LeaseLog(TextWriter log, TextWriter warnings) : ILogger
{
    /// <summary>The client library's event ids for lease events (see its ClientLog).</summary>
    private const int FirstLeaseEvent = 5010;
    private const int LastLeaseEvent = 5019;

    private readonly StderrLog _warnings = new(warnings);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (_warnings.IsEnabled(logLevel))
        {
            _warnings.Log(logLevel, eventId, state, exception, formatter);
            return;
        }

        if (eventId.Id is < FirstLeaseEvent or > LastLeaseEvent)
        {
            return;
        }

        var line = CliApp.OneLine(formatter(state, exception));
        // The keeper reports from its own timer threads while the agent's loop writes too.
        lock (log)
        {
            log.WriteLine(line);
            log.Flush();
        }
    }
}

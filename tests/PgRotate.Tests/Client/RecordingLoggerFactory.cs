using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace PgRotate.Tests.Client;

/// <summary>Keeps every log entry of every category, and lets a test await the first entry with a given event id.</summary>
internal sealed class RecordingLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<(LogLevel Level, int EventId, string Message)> _entries = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource> _awaited = new();

    public IReadOnlyCollection<(LogLevel Level, int EventId, string Message)> Entries => _entries;

    public int Count(int eventId) => _entries.Count(e => e.EventId == eventId);

    /// <summary>Completes when an entry with <paramref name="eventId"/> has been logged (at once if one was).</summary>
    public Task LoggedAsync(int eventId, CancellationToken cancellationToken) =>
        Signal(eventId).Task.WaitAsync(cancellationToken);

    public ILogger CreateLogger(string categoryName) => new Recorder(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private TaskCompletionSource Signal(int eventId) => _awaited.GetOrAdd(eventId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private void Add(LogLevel level, int eventId, string message)
    {
        _entries.Enqueue((level, eventId, message));
        Signal(eventId).TrySetResult();
    }

    private sealed class Recorder(RecordingLoggerFactory factory) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            factory.Add(logLevel, eventId.Id, formatter(state, exception));
    }
}

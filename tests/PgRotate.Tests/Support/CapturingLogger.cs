using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace PgRotate.Tests.Support;

/// <summary>Keeps every formatted log message (with its exception text), so a test can look for what must not be there.</summary>
public sealed class CapturingLogger<T> : ILogger<T>
{
    private readonly ConcurrentQueue<string> _messages = new();

    public IReadOnlyCollection<string> Messages => _messages;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _messages.Enqueue($"{logLevel} {eventId.Id} {formatter(state, exception)} {exception}");
}

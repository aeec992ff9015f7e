using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace PgRotate.Bench.LeaseSoak;

/// <summary>
/// Counts the client's log events by id (renewed, moved, revoked, …): the soak's figures come from what the client
/// itself reports, not from a second bookkeeping. Warnings are echoed to stderr as they happen.
/// </summary>
internal sealed class LeaseEventCounter : ILoggerFactory
{
    public const int Renewed = 5010;
    public const int Moved = 5011;
    public const int Revoked = 5012;
    public const int RevokeFailed = 5013;
    public const int RenewFailed = 5014;

    private readonly ConcurrentDictionary<int, int> _counts = new();

    public int Count(int eventId) => _counts.GetValueOrDefault(eventId);

    public ILogger CreateLogger(string categoryName) => new Counter(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Counter(LeaseEventCounter owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            owner._counts.AddOrUpdate(eventId.Id, 1, (_, n) => n + 1);
            if (logLevel >= LogLevel.Warning)
            {
                Console.Error.WriteLine($"{logLevel}: {formatter(state, exception)}");
            }
        }
    }
}

using System.Text;

namespace PgRotate.Tests.Agent;

/// <summary>
/// A log the agent writes to, which a test can await a line of: the agent logs a file only once it has been renamed
/// into place, so awaiting the line awaits the file, with no polling and no sleeps.
/// </summary>
internal sealed class LogLines : TextWriter
{
    private readonly Lock _lock = new();
    private readonly List<string> _lines = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiters = [];
    private readonly StringBuilder _partial = new();

    public override Encoding Encoding => Encoding.UTF8;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lock)
            {
                return [.. _lines];
            }
        }
    }

    public override void Write(char value)
    {
        lock (_lock)
        {
            if (value != '\n')
            {
                _partial.Append(value);
                return;
            }

            var line = _partial.ToString();
            _partial.Clear();
            _lines.Add(line);
            foreach (var waiter in _waiters.Where(w => w.Match(line)).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Found.TrySetResult(line);
            }
        }
    }

    /// <summary>The first line (already written or still to come) that matches.</summary>
    public Task<string> WaitForAsync(Func<string, bool> match)
    {
        lock (_lock)
        {
            if (_lines.FirstOrDefault(match) is { } line)
            {
                return Task.FromResult(line);
            }

            var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, found));
            return found.Task.WaitAsync(TestContext.Current.CancellationToken);
        }
    }

    public override string ToString() => string.Join('\n', Lines);
}

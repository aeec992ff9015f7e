namespace PgRotate.Cli.Commands.Demo;

/// <summary>
/// Measures the switch-over of each rotation: from the moment the API answered it until every worker's new connections
/// log in as the new login. Workers report the login of each query; a worker already on the new login when the answer
/// arrives (the client heard of the rotation first) counts as zero. A rotation that some worker had not caught up with
/// when the next one finished is counted as incomplete instead of as a time.
/// </summary>
internal sealed class SwitchOverTracker(int workers, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly string?[] _logins = new string?[workers];
    private readonly List<double> _samplesMs = [];
    private Pending? _pending;
    private int _incomplete;

    /// <summary>A worker's query ran as <paramref name="login"/>; only a change of login matters.</summary>
    public void Observed(int worker, string login)
    {
        if (Volatile.Read(ref _logins[worker]) == login)
        {
            return;
        }

        var now = time.GetTimestamp();
        lock (_lock)
        {
            Volatile.Write(ref _logins[worker], login);
            if (_pending is { } pending && login == pending.Login && pending.Waiting.Remove(worker))
            {
                pending.LatestMs = Math.Max(pending.LatestMs, time.GetElapsedTime(pending.AnsweredAt, now).TotalMilliseconds);
                Complete(pending);
            }
        }
    }

    /// <summary>A rotation answered: from now on every worker is expected to move to <paramref name="login"/>.</summary>
    public void RotationAnswered(string login)
    {
        var now = time.GetTimestamp();
        lock (_lock)
        {
            if (_pending is not null)
            {
                _incomplete++;
            }

            var waiting = Enumerable.Range(0, _logins.Length).Where(w => _logins[w] != login).ToHashSet();
            var pending = new Pending(login, now, waiting);
            _pending = pending;
            Complete(pending);
        }
    }

    /// <summary>The switch-over times so far: p50, p99 (nearest rank) and the longest, and how many were incomplete.</summary>
    public Contracts.DemoLatency Summary()
    {
        double[] samples;
        int incomplete;
        lock (_lock)
        {
            samples = [.. _samplesMs.Order()];
            incomplete = _incomplete;
        }

        return new Contracts.DemoLatency(samples.Length, Rank(samples, 50), Rank(samples, 99), samples.Length == 0 ? 0 : samples[^1], incomplete);
    }

    private static double Rank(double[] sorted, double percent) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(sorted.Length * percent / 100) - 1, 0, sorted.Length - 1)];

    private void Complete(Pending pending)
    {
        if (pending.Waiting.Count == 0)
        {
            _samplesMs.Add(pending.LatestMs);
            _pending = null;
        }
    }

    private sealed class Pending(string login, long answeredAt, HashSet<int> waiting)
    {
        public string Login { get; } = login;
        public long AnsweredAt { get; } = answeredAt;
        public HashSet<int> Waiting { get; } = waiting;
        public double LatestMs { get; set; }
    }
}

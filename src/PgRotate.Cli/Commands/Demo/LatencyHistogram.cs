namespace PgRotate.Cli.Commands.Demo;

/// <summary>
/// Latencies counted into buckets 2% wide from 10 µs to about 10 minutes, so that thousands of queries a second can be
/// recorded from many workers without a lock and percentiles read at any moment for the live table; a percentile is the
/// upper edge of its bucket, at most 2% above the true value.
/// </summary>
internal sealed class LatencyHistogram
{
    private const double SmallestMs = 0.01;
    private const double Growth = 1.02;
    private static readonly double LogGrowth = Math.Log(Growth);
    private readonly long[] _buckets = new long[1000];

    public void Record(TimeSpan elapsed)
    {
        var ms = elapsed.TotalMilliseconds;
        var bucket = ms <= SmallestMs ? 0 : (int)Math.Ceiling(Math.Log(ms / SmallestMs) / LogGrowth);
        Interlocked.Increment(ref _buckets[Math.Min(bucket, _buckets.Length - 1)]);
    }

    public long Count => Snapshot().Sum();

    /// <summary>The latency below which <paramref name="percent"/> of the recorded ones lie, in milliseconds; 0 before any was recorded.</summary>
    public double PercentileMs(double percent)
    {
        var counts = Snapshot();
        var total = counts.Sum();
        if (total == 0)
        {
            return 0;
        }

        var wanted = (long)Math.Ceiling(total * percent / 100);
        long seen = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            seen += counts[i];
            if (seen >= Math.Max(wanted, 1))
            {
                return SmallestMs * Math.Pow(Growth, i);
            }
        }

        return SmallestMs * Math.Pow(Growth, counts.Length - 1);
    }

    private long[] Snapshot()
    {
        var counts = new long[_buckets.Length];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = Volatile.Read(ref _buckets[i]);
        }

        return counts;
    }
}

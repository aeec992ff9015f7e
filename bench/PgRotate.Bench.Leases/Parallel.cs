using System.Diagnostics;

namespace PgRotate.Bench.Leases;

/// <summary>Runs <c>count</c> operations on <c>workers</c> concurrent loops and answers the rate they reached.</summary>
internal static class BoundedRun
{
    public static async Task<double> PerSecondAsync(int count, int workers, Func<int, Task> operation)
    {
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(async _ =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < count)
            {
                await operation(index);
            }
        }));
        return count / clock.Elapsed.TotalSeconds;
    }
}

namespace PgRotate.Client;

/// <summary>
/// Pauses between attempts while the server cannot be reached: doubling from <see cref="Initial"/> up to a cap, each a
/// random point in the upper half of its step, so many clients cut off by one outage do not return in lockstep.
/// </summary>
internal static class Backoff
{
    public static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(200);

    /// <param name="attempt">1 for the pause after the first failure, 2 after the second, …</param>
    public static TimeSpan Delay(int attempt, TimeSpan max)
    {
        var step = Initial.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30));
        var capped = Math.Min(step, max.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped / 2 + Random.Shared.NextDouble() * capped / 2);
    }
}

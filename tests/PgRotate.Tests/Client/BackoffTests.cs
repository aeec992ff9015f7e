using PgRotate.Client;

namespace PgRotate.Tests.Client;

/// <summary>The pause between attempts while the server is down: doubling, capped, jittered within the upper half of its step.</summary>
public sealed class BackoffTests
{
    [Theory]
    [InlineData(1, 100, 200)]
    [InlineData(2, 200, 400)]
    [InlineData(3, 400, 800)]
    [InlineData(10, 2500, 5000)]
    [InlineData(1000, 2500, 5000)]
    public void Each_pause_lies_in_the_upper_half_of_its_doubled_step_and_never_beyond_the_cap(int attempt, int lowestMs, int highestMs)
    {
        var pauses = Enumerable.Range(0, 200).Select(_ => Backoff.Delay(attempt, TimeSpan.FromSeconds(5))).ToList();

        Assert.All(pauses, p => Assert.InRange(p.TotalMilliseconds, lowestMs, highestMs));
        Assert.True(pauses.Distinct().Count() > 1, "pauses are jittered");
    }
}

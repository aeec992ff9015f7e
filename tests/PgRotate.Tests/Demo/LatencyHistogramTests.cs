using PgRotate.Cli.Commands.Demo;

namespace PgRotate.Tests.Demo;

/// <summary>The demo's latency histogram reads percentiles within its 2% bucket width.</summary>
public sealed class LatencyHistogramTests
{
    [Fact]
    public void Percentiles_are_within_two_percent_above_the_true_value()
    {
        var histogram = new LatencyHistogram();
        for (var ms = 1; ms <= 1000; ms++)
        {
            histogram.Record(TimeSpan.FromMilliseconds(ms));
        }

        Assert.Equal(1000, histogram.Count);
        Assert.InRange(histogram.PercentileMs(50), 500, 500 * 1.02);
        Assert.InRange(histogram.PercentileMs(99), 990, 990 * 1.02);
        Assert.InRange(histogram.PercentileMs(100), 1000, 1000 * 1.02);
    }

    [Fact]
    public void An_empty_histogram_reads_zero()
    {
        Assert.Equal(0, new LatencyHistogram().PercentileMs(99));
    }
}

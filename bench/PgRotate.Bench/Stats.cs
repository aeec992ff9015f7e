namespace PgRotate.Bench;

/// <summary>Latency samples in milliseconds and the figures printed from them.</summary>
public sealed class Stats(string name)
{
    private readonly List<double> _samples = [];

    public string Name => name;
    public int Count => _samples.Count;

    public void Add(double milliseconds) => _samples.Add(milliseconds);

    public double Median => Percentile(50);
    public double P99 => Percentile(99);

    public double Percentile(double p)
    {
        if (_samples.Count == 0) return double.NaN;
        var sorted = _samples.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    public override string ToString() => $"{Name,-52} median {Median,7:0.00} ms   p99 {P99,7:0.00} ms   (n={Count})";
}

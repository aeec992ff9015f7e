using System.Globalization;
using PgRotate.Rotation;

namespace PgRotate.Bench;

/// <summary>
/// One table of rotation latency: the floor, then each store measured in this run side by side (median and p99 of the
/// whole rotation and of each step, and the whole rotation's median over the floor's).
/// </summary>
internal static class LatencyTable
{
    private const int LabelWidth = 34;
    private const int ColumnWidth = 22;

    public static void Write(TextWriter output, Floor floor, IReadOnlyList<StoreLatency> stores)
    {
        var columns = new List<string> { "floor" };
        columns.AddRange(stores.Select(s => s.StoreName));
        output.WriteLine($"  {"",-LabelWidth}{string.Concat(columns.Select(c => c.PadLeft(ColumnWidth)))}");
        output.WriteLine($"  {"(ms)",-LabelWidth}{string.Concat(columns.Select(_ => "median      p99".PadLeft(ColumnWidth)))}");
        Row(output, "whole rotation", [floor.Whole, .. stores.Select(s => s.Whole)]);
        foreach (var step in Enum.GetValues<RotationStep>())
        {
            Row(output, "  step " + step.ToString().ToLowerInvariant(), [null, .. stores.Select(s => s.Steps[step])]);
        }

        var ratios = stores.Select(s => $"{s.Whole.Median / floor.Total:0.00}×".PadLeft(ColumnWidth));
        output.WriteLine($"  {"median / floor (sum of medians)",-LabelWidth}{"",ColumnWidth}{string.Concat(ratios)}");
    }

    private static void Row(TextWriter output, string label, IEnumerable<Stats?> cells)
    {
        var text = cells.Select(s => s is null
            ? "-".PadLeft(ColumnWidth)
            : string.Create(CultureInfo.InvariantCulture, $"{s.Median,12:0.00}{s.P99,10:0.00}"));
        output.WriteLine($"  {label,-LabelWidth}{string.Concat(text)}");
    }
}

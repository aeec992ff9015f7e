using System.Globalization;
using System.Text.RegularExpressions;

namespace PgRotate.Bench.Server;

/// <summary>One wrk run's figures: requests per second and latency percentiles (wrk --latency), and any non-2xx answers.</summary>
internal sealed partial record WrkResult(double RequestsPerSecond, double P50Ms, double P99Ms, long Requests, long Non2xx)
{
    /// <param name="headerScript">A wrk Lua script setting the Authorization header (a file, so the token is never a process argument), or null.</param>
    public static async Task<WrkResult> RunAsync(string url, string? headerScript, TimeSpan duration, int connections, int threads)
    {
        var args = new List<string> { "-t" + threads, "-c" + connections, "-d" + (int)duration.TotalSeconds + "s", "--latency" };
        if (headerScript is not null)
        {
            args.AddRange(["-s", headerScript]);
        }

        args.Add(url);
        var output = await ChildProcess.RunAsync("wrk", args, new Dictionary<string, string>());
        return Parse(output);
    }

    /// <summary>Writes (owner-only) the Lua script that makes wrk send the token.</summary>
    public static string WriteHeaderScript(string folder, string token)
    {
        var path = Path.Combine(folder, "auth.lua");
        File.WriteAllText(path, string.Empty);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(path, $"wrk.headers[\"Authorization\"] = \"Bearer {token}\"\n");
        return path;
    }

    public static WrkResult Parse(string output)
    {
        var rps = double.Parse(RequestsPerSecondLine().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var requests = long.Parse(RequestCountLine().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var non2xx = Non2xxLine().Match(output) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        return new WrkResult(rps, Percentile(output, "50"), Percentile(output, "99"), requests, non2xx);
    }

    private static double Percentile(string output, string percent)
    {
        var match = Regex.Match(output, @"^\s+" + percent + @"%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        if (!match.Success)
        {
            throw new FormatException($"wrk printed no {percent}% latency:\n{output}");
        }

        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch
        {
            "us" => value / 1000,
            "s" => value * 1000,
            _ => value,
        };
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecondLine();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex RequestCountLine();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex Non2xxLine();
}

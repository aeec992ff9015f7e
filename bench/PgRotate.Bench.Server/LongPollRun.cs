using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace PgRotate.Bench.Server;

/// <summary>
/// N clients long-polling one secret, then one rotation: how long each waits for its answer after the rotate request
/// was sent, and what the server's memory was with all of them open.
/// </summary>
internal sealed record LongPollResult(int Watchers, int Answered, int WithNewVersion, double FirstRotateMs, double RotateMs, double P50Ms, double P99Ms, double MaxMs, double AfterRotationP50Ms, double AfterRotationP99Ms, double IdleMib, double WatchingMib)
{
    public static async Task<LongPollResult> RunAsync(Uri server, string token, string secret, int watchers, ChildProcess serverProcess)
    {
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            ConnectTimeout = TimeSpan.FromSeconds(30),
        };
        using var http = new HttpClient(handler) { BaseAddress = server, Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        // The server's first rotation pays for start-up work (JIT of the rotation path, the first logins to the target),
        // about ten times a warm one. It is measured and reported on its own, then the long-polls wait on a warm one:
        // a server rotates many times in its life, once for the first time. The first one's grace is 0 s, so the
        // measured one is not refused for rotating inside the previous login's grace.
        var first = Stopwatch.StartNew();
        using (var warmUp = await http.PostAsync($"/v1/secrets/{secret}/rotate", JsonContent.Create(new PgRotate.Contracts.RotateRequest(Grace: "0s"), options: PgRotate.Contracts.PgRotateJson.Options)))
        {
            warmUp.EnsureSuccessStatusCode();
        }

        var firstRotateMs = first.Elapsed.TotalMilliseconds;
        var current = await http.GetAsync($"/v1/secrets/{secret}");
        current.EnsureSuccessStatusCode();
        var version = current.Headers.ETag!.Tag.Trim('"');
        var idle = serverProcess.ResidentMebibytes();

        var clock = Stopwatch.StartNew();
        var answeredAt = new double[watchers];
        var newVersion = new bool[watchers];
        var rotateSentAt = new TaskCompletionSource<double>(TaskCreationOptions.RunContinuationsAsynchronously);
        var polls = Enumerable.Range(0, watchers).Select(async i =>
        {
            using var answer = await http.GetAsync($"/v1/secrets/{secret}?waitForChange={version}&timeout=120s");
            answeredAt[i] = clock.Elapsed.TotalMilliseconds;
            newVersion[i] = answer.StatusCode == HttpStatusCode.OK && answer.Headers.ETag?.Tag.Trim('"') != version;
        }).ToList();

        // Every watcher must be registered before the rotation, or the figure would include connection set-up: the
        // server's own gauge says how many are waiting.
        await WaitForOpenWatchesAsync(http, watchers);
        var watching = serverProcess.ResidentMebibytes();

        var sent = clock.Elapsed.TotalMilliseconds;
        using (var rotate = await http.PostAsync($"/v1/secrets/{secret}/rotate", null))
        {
            rotate.EnsureSuccessStatusCode();
        }

        var rotatedAt = clock.Elapsed.TotalMilliseconds;
        var rotated = rotatedAt - sent;
        await Task.WhenAll(polls);
        var waits = answeredAt.Select(t => t - sent).Order().ToArray();
        // The server wakes the watchers when the rotation has finished, just before it answers the rotate request: from
        // that answer on is what the watchers wait for the rotation (an answer that came first counts as 0).
        var afterRotation = answeredAt.Select(t => Math.Max(0, t - rotatedAt)).Order().ToArray();
        return new LongPollResult(watchers, waits.Length, newVersion.Count(v => v), firstRotateMs, rotated,
            Percentile(waits, 0.50), Percentile(waits, 0.99), waits[^1], Percentile(afterRotation, 0.50), Percentile(afterRotation, 0.99), idle, watching);
    }

    private static async Task WaitForOpenWatchesAsync(HttpClient http, int expected)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var metrics = await http.GetStringAsync("/metrics");
            var open = metrics.Split('\n')
                .Where(l => l.StartsWith("pgrotate_watches_open", StringComparison.Ordinal))
                .Select(l => double.Parse(l.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture))
                .DefaultIfEmpty(0).Sum();
            if (open >= expected)
            {
                return;
            }

            if (deadline.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new TimeoutException($"only {open} of {expected} long-polls were open after 2 minutes");
            }

            // The gauge is read from outside the server: there is no event to await, so look again shortly.
            await Task.Delay(100);
        }
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}

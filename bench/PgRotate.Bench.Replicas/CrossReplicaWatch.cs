using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace PgRotate.Bench.Replicas;

/// <summary>
/// Cross-replica wake-up, over and over while replicas are killed: a long-poll on one replica for a secret that the
/// other replica then rotates (POST …/rotate). Only the store's change feed (LISTEN/NOTIFY) can wake the watcher,
/// since the replica it waits on did not rotate anything.
/// </summary>
internal sealed class CrossReplicaWatch(Replicas replicas, string token, string secret)
{
    private static readonly TimeSpan PollTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Milliseconds from sending the rotate request to the other replica until the watcher had its answer.</summary>
    public List<double> WakeMs { get; } = [];

    /// <summary>Milliseconds the rotate request itself took (it answers once the new version is promoted).</summary>
    public List<double> RotateMs { get; } = [];

    /// <summary>Long-polls that ran into their timeout although both replicas stayed up: must stay 0.</summary>
    public int Missed { get; private set; }

    /// <summary>Rounds cut short because one of the two replicas was killed meanwhile.</summary>
    public int CutByKill { get; private set; }

    public List<string> Problems { get; } = [];

    /// <summary>Rounds until cancelled, or until <paramref name="wakes"/> watchers were woken.</summary>
    public async Task RunAsync(int wakes, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = PollTimeout + TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        while (!cancellationToken.IsCancellationRequested && WakeMs.Count < wakes)
        {
            try
            {
                await RoundAsync(http, cancellationToken);
                // One rotation of the watched secret at a time, a few a second: the scheduled rotations are the load.
                await Task.Delay(250, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                CutByKill++;
            }
        }
    }

    private async Task RoundAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var serving = replicas.Serving();
        if (serving.Count < 2)
        {
            await Task.Delay(50, cancellationToken);
            return;
        }

        var pick = Random.Shared.Next(2);
        var (watcherIndex, watcherUrl) = serving[pick];
        var (rotatorIndex, rotatorUrl) = serving[1 - pick];
        using var current = await http.GetAsync(new Uri(watcherUrl, $"/v1/secrets/{secret}"), cancellationToken);
        current.EnsureSuccessStatusCode();
        var version = current.Headers.ETag!.Tag.Trim('"');

        using var pollCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var clock = Stopwatch.StartNew();
        var answeredAt = 0.0;
        var poll = Task.Run(async () =>
        {
            var answer = await http.GetAsync(new Uri(watcherUrl, $"/v1/secrets/{secret}?waitForChange={version}&timeout={PollTimeout.TotalSeconds:0}s"), pollCancel.Token);
            answeredAt = clock.Elapsed.TotalMilliseconds;
            return answer;
        }, cancellationToken);
        try
        {
            await WaitForWatchAsync(http, watcherUrl, poll, cancellationToken);
            var sent = clock.Elapsed.TotalMilliseconds;
            using (var rotate = await http.PostAsync(new Uri(rotatorUrl, $"/v1/secrets/{secret}/rotate"),
                new StringContent("""{"force": true}""", System.Text.Encoding.UTF8, "application/json"), cancellationToken))
            {
                if (!rotate.IsSuccessStatusCode)
                {
                    Problems.Add($"rotate {secret} on replica {rotatorIndex}: {(int)rotate.StatusCode} {await rotate.Content.ReadAsStringAsync(cancellationToken)}");
                    return;
                }
            }

            var rotated = clock.Elapsed.TotalMilliseconds - sent;
            using var answer = await poll;
            var stillUp = replicas.UrlOf(watcherIndex) == watcherUrl && replicas.UrlOf(rotatorIndex) == rotatorUrl;
            if (answer.StatusCode == HttpStatusCode.OK && answer.Headers.ETag?.Tag.Trim('"') != version)
            {
                WakeMs.Add(answeredAt - sent);
                RotateMs.Add(rotated);
            }
            else if (stillUp)
            {
                Missed++;
                Problems.Add($"long-poll on replica {watcherIndex} for {secret} after version {version} answered {(int)answer.StatusCode} although replica {rotatorIndex} rotated it");
            }
            else
            {
                CutByKill++;
            }
        }
        finally
        {
            await pollCancel.CancelAsync();
            try
            {
                (await poll).Dispose();
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
            }
        }
    }

    /// <summary>
    /// Until the watcher's replica counts the long-poll as open (its <c>pgrotate_watches_open</c> gauge), so the
    /// rotation cannot come before the watch; the gauge is read from outside, so it is looked at every few milliseconds.
    /// </summary>
    private static async Task WaitForWatchAsync(HttpClient http, Uri replica, Task poll, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (!poll.IsCompleted && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            var metrics = await http.GetStringAsync(new Uri(replica, "/metrics"), cancellationToken);
            var open = metrics.Split('\n')
                .Where(l => l.StartsWith("pgrotate_watches_open", StringComparison.Ordinal))
                .Select(l => double.Parse(l.Split(' ')[^1], CultureInfo.InvariantCulture))
                .DefaultIfEmpty(0).Sum();
            if (open >= 1)
            {
                return;
            }

            await Task.Delay(5, cancellationToken);
        }

        if (poll.IsCompleted)
        {
            await poll;
        }

        throw new HttpRequestException("the long-poll was not registered in time");
    }
}

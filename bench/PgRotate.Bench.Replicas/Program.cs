using System.Globalization;
using PgRotate.Bench.Replicas;
using PgRotate.Contracts;
using PgRotate.Local;

// pgrotate replicas run: two 'pgrotate serve' processes on one PostgreSQL store, N secrets due once a minute (all at
// the same second), R minutes, while a random replica is SIGKILLed and restarted every 0.5-1 s
// (and 0.1-1.5 s into each firing). Checks from the store that each
// scheduled rotation ran exactly once, that every credential a replica handed out logged in, and that long-polls on
// one replica wake when the other rotates.
//   dotnet run -c Release --project bench/PgRotate.Bench.Replicas -- [--secrets 100] [--rounds 2] [--parallel 1] [--scheduler-interval 1s] [--calm-wakes 50] [--pg-bindir DIR]
var secretCount = IntArg("--secrets", 100);
var rounds = IntArg("--rounds", 2);
var parallel = IntArg("--parallel", 1);
var schedulerInterval = StringArg("--scheduler-interval") ?? "1s";
var calmWakes = IntArg("--calm-wakes", 50);
var binDir = StringArg("--pg-bindir");
var ct = CancellationToken.None;
var minute = TimeSpan.FromMinutes(1);

await using var cluster = await ThrowawayCluster.StartAsync(binDir, ct);
var store = await SharedStore.CreateAsync(cluster, ct);
var adminToken = SharedStore.TokenIn(await store.RunAsync(null, "init"));
await store.RunAsync(cluster.SuperuserPassword.Reveal() + "\n", "target", "add", "bench", "--conn",
    $"Host={cluster.Host};Port={cluster.Port};Database=postgres;Username={ThrowawayCluster.SuperuserName}", "--password-stdin");
const string watched = "rep/watched";
await store.RunAsync(null, "secret", "add", watched, "--target", "bench", "--group", "rep_watched");
var token = SharedStore.TokenIn(await store.RunAsync(null, "token", "create", "--name", "bench", "--policy", "read:rep/*", "--policy", $"rotate:{watched}"));

// Every secret fires at the same second of each minute (a 6-field cron; at most once a minute is allowed), chosen a
// little after the set-up and the replicas' start will be done, so the run does not wait for a whole minute. Should
// the adds straddle a firing after all, the rotations each secret owes are taken from its next rotation time in the store.
var names = Enumerable.Range(1, secretCount).Select(i => $"rep/s{i:000}").ToList();
var now = DateTimeOffset.UtcNow;
var lead = TimeSpan.FromSeconds(12 + secretCount * 0.05);
var firingSecond = (now + lead).Second;
var cron = $"{firingSecond} * * * * *";
await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 2 }, async (name, _) =>
    await store.RunInProcessAsync("secret", "add", name, "--target", "bench", "--group", name.Replace('/', '_'), "--cron", cron, "--grace", "5s"));
var setUp = DateTimeOffset.UtcNow - now;
var start = PgRotateJson.Deserialize<List<SecretSummary>>(await store.RunAsync(null, "secret", "list", "--json"))!
    .Where(s => names.Contains(s.Name)).ToDictionary(s => s.Name);
var lastBoundary = start.Values.Max(s => s.NextRotationAt!.Value) + (rounds - 1) * minute;
var expected = start.Values.ToDictionary(s => s.Name, s => (int)((lastBoundary - s.NextRotationAt!.Value) / minute) + 1);
Console.WriteLine($"pgrotate replicas run on {cluster.Binaries.VersionText}, {Environment.ProcessorCount} cores: 2 × 'pgrotate serve --scheduler-interval {schedulerInterval} --parallel {parallel}' on one PostgreSQL store");
Console.WriteLine($"{secretCount} secrets with --cron '{cron}' --grace 5s (added in {setUp.TotalSeconds:0} s); {expected.Values.Sum()} scheduled rotations owed up to the firing at {lastBoundary:HH:mm:ss} UTC; a random replica SIGKILLed and restarted 0.5-1 s after both serve, and 0.1-1.5 s into each firing");

await using var replicas = new Replicas(store, 2, schedulerInterval, parallel, token, $"/v1/secrets/{watched}");
await replicas.StartAllAsync();
var reader = new CredentialReader(replicas, token, [.. names]);
var watch = new CrossReplicaWatch(replicas, token, watched);
using var chaos = new CancellationTokenSource();
var running = new[] { replicas.KillLoopAsync(firingSecond, chaos.Token), reader.RunAsync(chaos.Token), watch.RunAsync(int.MaxValue, chaos.Token) };
var started = DateTimeOffset.UtcNow;

using var admin = RotationCheck.Client(adminToken);
var finished = await WaitForRoundsAsync(admin, replicas, start, expected, lastBoundary, ct);
await chaos.CancelAsync();
await Task.WhenAll(running);
await replicas.WaitUntilAllServingAsync();
var elapsed = DateTimeOffset.UtcNow - started;

// The same cross-replica wake-up with both replicas left running: its latency without restarts and JIT in the way.
var calmWatch = new CrossReplicaWatch(replicas, token, watched);
using (var calmLimit = new CancellationTokenSource(TimeSpan.FromMinutes(1)))
{
    await calmWatch.RunAsync(calmWakes, calmLimit.Token);
}

var replica = replicas.Serving()[0].Url;
var (resumed, failedAttempts) = await ReadAuditAsync(admin, replica, ct);
var checks = new List<RotationCheck>();
foreach (var name in names)
{
    checks.Add(await RotationCheck.ReadAsync(admin, replica, name, start[name].Version!.Value, expected[name], lastBoundary + minute,
        resumed.GetValueOrDefault(name) ?? [], ct));
}

var wakes = watch.WakeMs.Order().ToArray();
var calmWakeMs = calmWatch.WakeMs.Order().ToArray();
Console.WriteLine();
Console.WriteLine($"| figure ({elapsed.TotalSeconds:0} s under kills) | value |");
Console.WriteLine("|---|---|");
Console.WriteLine($"| scheduled rotations owed / done | {checks.Sum(c => c.Expected)} / {checks.Sum(c => c.Done)} |");
Console.WriteLine($"| done twice (a version promoted twice, or more rotations than boundaries) | {checks.Sum(c => c.Duplicates)} |");
Console.WriteLine($"| lost (a boundary without its rotation) | {checks.Sum(c => c.Lost)} |");
Console.WriteLine($"| failed attempts at a scheduled secret (audit log) | {failedAttempts.Count} |");
Console.WriteLine($"| replicas SIGKILLed and restarted | {replicas.Kills} |");
Console.WriteLine($"| rotations a killed replica left pending, finished by the next run | {checks.Sum(c => c.Resumed)} |");
Console.WriteLine($"| credentials read from the replicas / logged in / failed logins | {reader.Reads} / {reader.Logins} / {reader.FailedLogins} |");
Console.WriteLine($"| reads cut by a kill (retried on the other replica) / error answers | {reader.CutByKill} / {reader.ErrorAnswers} |");
Console.WriteLine($"| under kills: long-polls on one replica woken by a rotation through the other / missed / cut by a kill | {wakes.Length} / {watch.Missed} / {watch.CutByKill} |");
if (wakes.Length > 0)
{
    Console.WriteLine($"| under kills: rotate request to the other replica's watcher answered, p50 / p99 / max | {Percentile(wakes, 0.5):0.0} / {Percentile(wakes, 0.99):0.0} / {wakes[^1]:0.0} ms |");
}

Console.WriteLine($"| after the kills: long-polls woken across replicas / missed | {calmWakeMs.Length} / {calmWatch.Missed} |");
if (calmWakeMs.Length > 0)
{
    Console.WriteLine($"| after the kills: rotate request to the other replica's watcher answered, p50 / p99 / max | {Percentile(calmWakeMs, 0.5):0.0} / {Percentile(calmWakeMs, 0.99):0.0} / {calmWakeMs[^1]:0.0} ms |");
    var rotateMs = calmWatch.RotateMs.Order().ToArray();
    Console.WriteLine($"| after the kills: of which the rotation itself (POST …/rotate), p50 / p99 / max | {Percentile(rotateMs, 0.5):0.0} / {Percentile(rotateMs, 0.99):0.0} / {rotateMs[^1]:0.0} ms |");
}

var problems = checks.Select(c => c.Problem).OfType<string>().Concat(failedAttempts).Concat(reader.Problems).Concat(watch.Problems).Concat(calmWatch.Problems).ToList();
if (!finished)
{
    problems.Insert(0, "the rounds did not finish in time");
}

foreach (var problem in problems.Take(20))
{
    Console.WriteLine($"problem: {problem}");
}

var ok = finished && problems.Count == 0 && checks.All(c => c.Duplicates == 0 && c.Lost == 0) && reader.FailedLogins == 0 && reader.ErrorAnswers == 0
    && reader.Logins > 0 && watch.Missed == 0 && calmWakeMs.Length >= calmWakes && calmWatch.Missed == 0;
Console.WriteLine(ok ? "replicas run: every check passed" : "replicas run: FAILED");
return ok ? 0 : 1;

// Until every secret has been rotated for each boundary it was owed, and its next rotation is after the last one.
static async Task<bool> WaitForRoundsAsync(HttpClient admin, Replicas replicas, IReadOnlyDictionary<string, SecretSummary> start,
    IReadOnlyDictionary<string, int> expected, DateTimeOffset lastBoundary, CancellationToken cancellationToken)
{
    var deadline = lastBoundary + TimeSpan.FromMinutes(2);
    while (DateTimeOffset.UtcNow < deadline)
    {
        // The store is looked at from outside; nothing announces "all rounds done", so look once a second.
        await Task.Delay(1000, cancellationToken);
        if (DateTimeOffset.UtcNow < lastBoundary || replicas.Serving() is not [var (_, url), ..])
        {
            continue;
        }

        try
        {
            var now = PgRotateJson.Deserialize<List<SecretSummary>>(await admin.GetStringAsync(new Uri(url, "/v1/secrets"), cancellationToken))!;
            if (start.Keys.All(name => now.FirstOrDefault(s => s.Name == name) is { } s
                    && s.Version >= start[name].Version + expected[name] && s.NextRotationAt > lastBoundary))
            {
                return true;
            }
        }
        catch (HttpRequestException)
        {
            // That replica was just killed: the next look goes to whichever is serving then.
        }
    }

    return false;
}

// From the audit log: the versions whose rotation a later run resumed ("resumed"), by secret, and the failed attempts
// at the scheduled secrets (with their reason).
static async Task<(Dictionary<string, HashSet<int>> Resumed, List<string> Failed)> ReadAuditAsync(HttpClient admin, Uri replica, CancellationToken cancellationToken)
{
    var resumed = new Dictionary<string, HashSet<int>>(StringComparer.Ordinal);
    var failed = new List<string>();
    long after = 0;
    while (true)
    {
        var page = PgRotateJson.Deserialize<List<AuditEvent>>(await admin.GetStringAsync(new Uri(replica, $"/v1/audit?after={after}&limit=1000"), cancellationToken))!;
        if (page.Count == 0)
        {
            return (resumed, failed);
        }

        failed.AddRange(page.Where(e => e.Action == "rotation.failed" && e.Secret?.StartsWith("rep/s", StringComparison.Ordinal) == true)
            .Select(e => $"{e.At:HH:mm:ss.fff} {e.Actor} {e.Secret}: {e.Detail}"));

        foreach (var entry in page.Where(e => e.Action == "rotation.finished" && e is { Secret: not null, Version: not null } && e.Detail?.Contains("resumed", StringComparison.Ordinal) == true))
        {
            (resumed.TryGetValue(entry.Secret!, out var versions) ? versions : resumed[entry.Secret!] = []).Add(entry.Version!.Value);
        }

        after = page[^1].Sequence;
    }
}

static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

int IntArg(string name, int fallback) => StringArg(name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

string? StringArg(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

using System.Globalization;
using System.Text.RegularExpressions;
using PgRotate.Bench.Server;
using PgRotate.Local;

// pgrotate server benchmark: GET /v1/secrets/{name} through the real 'pgrotate serve' beside a bare Kestrel endpoint
// returning a constant (both loaded by wrk in this run), then N open long-polls and one rotation.
//   dotnet run -c Release --project bench/PgRotate.Bench.Server -- [--duration 15] [--connections 64] [--watchers 5000] [--pg-bindir DIR]
if (args is ["--bare", var length])
{
    return await BareEndpoint.RunAsync(int.Parse(length, CultureInfo.InvariantCulture));
}

var duration = TimeSpan.FromSeconds(IntArg("--duration", 15));
var connections = IntArg("--connections", 64);
var threads = IntArg("--threads", 2);
var watcherCount = IntArg("--watchers", 5000);
var binDir = StringArg("--pg-bindir");

await using var cluster = await ThrowawayCluster.StartAsync(binDir);
var folder = Directory.CreateTempSubdirectory("pgrotate-bench-server-").FullName;
try
{
    var pgrotate = Path.Combine(AppContext.BaseDirectory, "pgrotate.dll");
    var environment = new Dictionary<string, string> { ["PGROTATE_STORE"] = Path.Combine(folder, "bench.db") };
    Task<string> Cli(string? stdin, params string[] cliArgs) => ChildProcess.RunAsync("dotnet", [pgrotate, .. cliArgs], environment, stdin);

    await Cli(null, "init");
    await Cli(cluster.SuperuserPassword.Reveal() + "\n", "target", "add", "bench", "--conn", $"Host={cluster.Host};Port={cluster.Port};Database=postgres;Username={ThrowawayCluster.SuperuserName}", "--password-stdin");
    await Cli(null, "secret", "add", "bench/app", "--target", "bench", "--group", "bench_app");
    var created = await Cli(null, "token", "create", "--name", "bench", "--policy", "read:bench/*", "--policy", "rotate:bench/*");
    var token = Regex.Match(created, @"pgr_[A-Za-z0-9_\-]+").Value;

    await using var server = ChildProcess.Start("dotnet", [pgrotate, "serve", "--listen", "http://127.0.0.1:0"], environment);
    var serving = await server.WaitForLineAsync(l => l.Contains("serving on ", StringComparison.Ordinal), TimeSpan.FromMinutes(1));
    var serverUrl = new Uri(Regex.Match(serving, @"serving on (\S+)").Groups[1].Value.TrimEnd(','));

    using var probe = new HttpClient { BaseAddress = serverUrl };
    probe.DefaultRequestHeaders.Authorization = new("Bearer", token);
    var answer = await probe.GetStringAsync("/v1/secrets/bench/app");

    var self = Environment.ProcessPath!;
    string[] selfArgs = Path.GetFileNameWithoutExtension(self) == "dotnet" ? [typeof(BareEndpoint).Assembly.Location, "--bare"] : ["--bare"];
    await using var bare = ChildProcess.Start(self, [.. selfArgs, answer.Length.ToString(CultureInfo.InvariantCulture)], new Dictionary<string, string>());
    var bareUrl = new Uri(Regex.Match(await bare.WaitForLineAsync(l => l.StartsWith("listening on ", StringComparison.Ordinal), TimeSpan.FromMinutes(1)), @"listening on (\S+)").Groups[1].Value);

    var script = WrkResult.WriteHeaderScript(folder, token);
    var bareTarget = new Uri(bareUrl, "/v1/secrets/bench/app").ToString();
    var serverTarget = new Uri(serverUrl, "/v1/secrets/bench/app").ToString();
    Console.WriteLine($"pgrotate server benchmark on {cluster.Binaries.VersionText}, {Environment.ProcessorCount} cores; wrk {threads} threads × {connections} connections, {duration.TotalSeconds:0} s per run, two rounds, interleaved");
    Console.WriteLine($"answer: {answer.Length} bytes of JSON (the credential), the bare endpoint returns a constant of the same length");

    // Warm both (JIT, connection set-up) before anything is counted.
    await WrkResult.RunAsync(bareTarget, null, TimeSpan.FromSeconds(3), connections, threads);
    await WrkResult.RunAsync(serverTarget, script, TimeSpan.FromSeconds(3), connections, threads);
    var bareRuns = new List<WrkResult>();
    var serverRuns = new List<WrkResult>();
    for (var round = 0; round < 2; round++)
    {
        bareRuns.Add(await WrkResult.RunAsync(bareTarget, null, duration, connections, threads));
        serverRuns.Add(await WrkResult.RunAsync(serverTarget, script, duration, connections, threads));
    }

    var bareRps = bareRuns.Average(r => r.RequestsPerSecond);
    var serverRps = serverRuns.Average(r => r.RequestsPerSecond);
    var serverP99 = serverRuns.Average(r => r.P99Ms);
    Console.WriteLine();
    Console.WriteLine("| GET /v1/secrets/{name} | requests/s | p50 | p99 | non-2xx |");
    Console.WriteLine("|---|---|---|---|---|");
    Console.WriteLine($"| bare Kestrel, constant answer (reference) | {bareRps:0} | {bareRuns.Average(r => r.P50Ms):0.00} ms | {bareRuns.Average(r => r.P99Ms):0.00} ms | {bareRuns.Sum(r => r.Non2xx)} |");
    Console.WriteLine($"| pgrotate serve, bearer token, SQLite store | {serverRps:0} | {serverRuns.Average(r => r.P50Ms):0.00} ms | {serverP99:0.00} ms | {serverRuns.Sum(r => r.Non2xx)} |");
    Console.WriteLine($"pgrotate: {serverRps / bareRps:P0} of the bare endpoint's throughput (goal ≥ 50%), p99 {serverP99:0.00} ms (goal < 5 ms)");

    var poll = await LongPollResult.RunAsync(serverUrl, token, "bench/app", watcherCount, server);
    Console.WriteLine();
    Console.WriteLine($"| {poll.Watchers} open long-polls, one rotation | p50 | p99 | max | answered with the new version |");
    Console.WriteLine("|---|---|---|---|---|");
    Console.WriteLine($"| time from the rotate request to each answer | {poll.P50Ms:0.0} ms | {poll.P99Ms:0.0} ms | {poll.MaxMs:0.0} ms | {poll.WithNewVersion} of {poll.Answered} |");
    Console.WriteLine($"| time from the rotate request's answer to each answer | {poll.AfterRotationP50Ms:0.0} ms | {poll.AfterRotationP99Ms:0.0} ms | | |");
    Console.WriteLine($"the rotation itself (POST …/rotate, answered after the new version is current): {poll.RotateMs:0.0} ms; goal: every watcher within 100 ms p99 of the rotation");
    Console.WriteLine($"the server's first rotation, before the long-polls (start-up work: JIT, first logins to the target): {poll.FirstRotateMs:0.0} ms");
    Console.WriteLine($"server memory (VmRSS): {poll.IdleMib:0} MiB idle after the wrk runs, {poll.WatchingMib:0} MiB with {poll.Watchers} long-polls open");
    return serverRuns.Sum(r => r.Non2xx) == 0 && poll.WithNewVersion == poll.Watchers ? 0 : 1;
}
finally
{
    Directory.Delete(folder, recursive: true);
}

int IntArg(string name, int fallback) => StringArg(name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

string? StringArg(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

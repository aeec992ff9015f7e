using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using PgRotate.Bench.LeaseSoak;
using PgRotate.Bench.Server;
using PgRotate.Client;
using PgRotate.Local;

// Lease soak: N workers query continuously through one PgRotateDataSource running on a lease of a dynamic secret,
// served by a real 'pgrotate serve' child process over a throwaway cluster, for the whole duration: renewals, moves
// to a fresh lease before the maximum TTL, revocations of the old leases. Any failed query is a failure of the run.
//   dotnet run -c Release --project bench/PgRotate.Bench.LeaseSoak -- [--workers 8] [--ttl 60s] [--max-ttl 5m] [--duration 10m] [--pg-bindir DIR]
var workerCount = int.Parse(StringArg("--workers") ?? "8", CultureInfo.InvariantCulture);
var ttl = DurationArg("--ttl", TimeSpan.FromSeconds(60));
var maxTtl = DurationArg("--max-ttl", TimeSpan.FromMinutes(5));
var duration = DurationArg("--duration", TimeSpan.FromMinutes(10));
var binDir = StringArg("--pg-bindir");

await using var cluster = await ThrowawayCluster.StartAsync(binDir);
var folder = Directory.CreateTempSubdirectory("pgrotate-bench-leasesoak-").FullName;
try
{
    var pgrotate = Path.Combine(AppContext.BaseDirectory, "pgrotate.dll");
    var environment = new Dictionary<string, string> { ["PGROTATE_STORE"] = Path.Combine(folder, "soak.db") };
    Task<string> Cli(string? stdin, params string[] cliArgs) => ChildProcess.RunAsync("dotnet", [pgrotate, .. cliArgs], environment, stdin);

    const string Group = "soak_app";
    await Cli(null, "init");
    await Cli(cluster.SuperuserPassword.Reveal() + "\n", "target", "add", "soak", "--conn", $"Host={cluster.Host};Port={cluster.Port};Database=postgres;Username={ThrowawayCluster.SuperuserName}", "--password-stdin");
    await Cli(null, "secret", "add", "soak/app", "--target", "soak", "--group", Group, "--strategy", "dynamic", "--default-ttl", Seconds(ttl), "--max-ttl", Seconds(maxTtl));
    var created = await Cli(null, "token", "create", "--name", "soak", "--policy", "lease:soak/*");
    var token = Regex.Match(created, @"pgr_[A-Za-z0-9_\-]+").Value;

    await using var server = ChildProcess.Start("dotnet", [pgrotate, "serve", "--listen", "http://127.0.0.1:0"], environment);
    var serving = await server.WaitForLineAsync(l => l.Contains("serving on ", StringComparison.Ordinal), TimeSpan.FromMinutes(1));
    var serverUrl = new Uri(Regex.Match(serving, @"serving on (\S+)").Groups[1].Value.TrimEnd(','));

    Console.WriteLine($"lease soak on {cluster.Binaries.VersionText}, {Environment.ProcessorCount} cores: {workerCount} workers through one leased data source, " +
        $"leases of {ttl.TotalSeconds:0} s renewable to {maxTtl.TotalSeconds:0} s, for {duration.TotalSeconds:0} s");
    var events = new LeaseEventCounter();
    var options = new PgRotateClientOptions { ServerUrl = serverUrl, Token = token, Secret = "soak/app", UseLease = true, MaxBackoff = TimeSpan.FromSeconds(1) };
    var dataSource = await PgRotateDataSource.CreateAsync(options, events);
    SoakWorkers workers;
    var clock = Stopwatch.StartNew();
    using (var stop = new CancellationTokenSource(duration))
    {
        workers = new SoakWorkers(dataSource, workerCount, stop.Token);
        await workers.Completion;
    }

    await dataSource.DisposeAsync();
    var elapsed = clock.Elapsed;

    // Every lease the client took has ended with its login: none of the group's members is left.
    await using var admin = await cluster.OpenSuperuserConnectionAsync();
    await using var left = new Npgsql.NpgsqlCommand($"SELECT count(*) FROM pg_auth_members WHERE roleid = '{Group}'::regrole", admin);
    var rolesLeft = (long)(await left.ExecuteScalarAsync())!;

    var latencies = workers.SortedLatencies();
    var p99 = latencies.Length == 0 ? double.NaN : latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(latencies.Length * 0.99) - 1)];
    var p50 = latencies.Length == 0 ? double.NaN : latencies[latencies.Length / 2];
    Console.WriteLine();
    Console.WriteLine("| figure | value |");
    Console.WriteLine("|---|---|");
    Console.WriteLine($"| queries ok | {latencies.Length} ({latencies.Length / elapsed.TotalSeconds:0}/s) |");
    Console.WriteLine($"| queries failed | {workers.Failed} |");
    Console.WriteLine($"| renewals | {events.Count(LeaseEventCounter.Renewed)} (failed attempts {events.Count(LeaseEventCounter.RenewFailed)}) |");
    Console.WriteLine($"| moves to a fresh lease | {events.Count(LeaseEventCounter.Moved)} |");
    Console.WriteLine($"| leases revoked | {events.Count(LeaseEventCounter.Revoked)} (failed {events.Count(LeaseEventCounter.RevokeFailed)}) |");
    Console.WriteLine($"| lease logins left in pg_roles after dispose | {rolesLeft} |");
    Console.WriteLine($"| query latency (open + SELECT) | p50 {p50:0.00} ms, p99 {p99:0.00} ms |");
    if (workers.FirstFailure is { } failure)
    {
        Console.WriteLine($"first failure: {failure}");
    }

    var moved = events.Count(LeaseEventCounter.Moved);
    var ok = workers.Failed == 0 && latencies.Length > 0 && rolesLeft == 0 && events.Count(LeaseEventCounter.RevokeFailed) == 0
        && events.Count(LeaseEventCounter.Revoked) == moved + 1;
    Console.WriteLine(ok ? "lease soak passed" : "lease soak FAILED");
    return ok ? 0 : 1;
}
finally
{
    Directory.Delete(folder, recursive: true);
}

static string Seconds(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{(long)span.TotalSeconds}s");

TimeSpan DurationArg(string name, TimeSpan fallback)
{
    if (StringArg(name) is not { } text)
    {
        return fallback;
    }

    var match = Regex.Match(text, @"^(\d+)(s|m|h)$");
    if (!match.Success)
    {
        throw new ArgumentException($"{name} takes a whole number of s, m or h (e.g. 30s, 10m), not {text}");
    }

    var value = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    return match.Groups[2].Value switch { "s" => TimeSpan.FromSeconds(value), "m" => TimeSpan.FromMinutes(value), _ => TimeSpan.FromHours(value) };
}

string? StringArg(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

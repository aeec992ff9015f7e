using System.Globalization;
using PgRotate.Bench.Consumers;
using PgRotate.Contracts;

// Consumers under rotation: the real 'pgrotate demo' (.NET workers through the client data source, pgbench -C through
// a service file kept current, pgbench through a pgbouncer kept current) while a secret rotates every second, run four
// ways and printed side by side.
//   dotnet run -c Release --project bench/PgRotate.Bench.Consumers -- [--duration 60] [--workers 16] [--pg-bindir DIR] [--no-pgbouncer]
// Exits 1 when anything failed with the alternating strategy (pgbouncer's leg included), or a rotation failed.
var duration = IntArg("--duration", 60);
var workers = IntArg("--workers", 16);
var binDir = StringArg("--pg-bindir");
// pgbouncer is asked for, not just taken when found, so that a machine without it fails instead of leaving it out.
string[] pgBouncer = args.Contains("--no-pgbouncer") ? ["--no-pgbouncer"] : ["--pgbouncer"];

(string Name, string[] Args)[] runs =
[
    ("alternating, pooled", []),
    ("alternating, new connection per query", ["--no-pooling"]),
    ("single, client retry", ["--strategy", "single", "--no-pooling"]),
    ("single, no client retry", ["--strategy", "single", "--no-pooling", "--no-client-retry"]),
];

Console.WriteLine($"pgrotate consumers under rotation: {workers} .NET workers + pgbench -C (2 clients){(pgBouncer[0] == "--pgbouncer" ? " + pgbench through pgbouncer (4 clients staying connected, 400 tps)" : "")}, rotating every 1 s for {duration} s per run, {Environment.ProcessorCount} cores");
var results = new List<(string Name, DemoSummary Summary)>();
var failed = false;
foreach (var (name, extra) in runs)
{
    string[] arguments = ["--duration", $"{duration}s", "--workers", workers.ToString(CultureInfo.InvariantCulture), .. extra, .. pgBouncer, .. binDir is null ? [] : new[] { "--pg-bindir", binDir }];
    var (summary, exitCode, errors) = await DemoProcess.RunAsync(arguments);
    Console.WriteLine($"  {name}: {summary.Rotations} rotations, {summary.Failures} failures (exit {exitCode})");
    results.Add((name, summary));
    // The demo's failures count every consumer: .NET queries, pgbench -C, pgbench through pgbouncer.
    if (summary.RotationsFailed > 0 || (summary.Strategy == RotationStrategy.Alternating && summary.Failures > 0))
    {
        Console.Error.WriteLine($"bench: {name}: {summary.Failures} failures ({summary.Queries.Failed} .NET, {Failed(summary.PgBench)} pgbench -C, {Failed(summary.PgBouncer)} through pgbouncer), {summary.RotationsFailed} failed rotations: {errors.Trim()}");
        failed = true;
    }
}

Console.WriteLine();
Console.WriteLine("| | " + string.Join(" | ", results.Select(r => r.Name)) + " |");
Console.WriteLine("|---|" + string.Concat(results.Select(_ => "---|")));
Row("rotations done (failed)", s => $"{s.Rotations} ({s.RotationsFailed})");
Row(".NET queries ok", s => $"{s.Queries.Ok:N0}");
Row(".NET queries failed", s => $"{s.Queries.Failed:N0}");
Row(".NET query p50 / p99", s => $"{s.Queries.P50Ms:0.0} / {s.Queries.P99Ms:0.0} ms");
Row("workers that changed login", s => $"{s.Workers.Count(w => w.LoginChanges > 0)} of {s.Workers.Count}");
Row("pgbench -C transactions ok", s => s.PgBench is { } b ? $"{b.TransactionsOk:N0} ({b.Tps:0} tps)" : "not run");
Row("pgbench failed transactions / connections", s => s.PgBench is { } b ? $"{b.TransactionsFailed:N0} / {b.ConnectionsFailed:N0}" : "not run");
Row("pgbench through pgbouncer ok", s => s.PgBouncer is { } b ? $"{b.TransactionsOk:N0} ({b.Tps:0} tps)" : "not run");
Row("pgbouncer failed transactions / connections", s => s.PgBouncer is { } b ? $"{b.TransactionsFailed:N0} / {b.ConnectionsFailed:N0}" : "not run");
Row("pgbouncer's logins to PostgreSQL (refused)", s => s.PgBouncer is { ServerLogins: { } logins } b
    ? $"{string.Join(", ", logins.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key} {l.Value:N0}"))} ({b.ServerLoginsFailed:N0})"
    : "not run");
Row("switch-over p50 / p99 (max)", s => s.SwitchOver is { } so ? $"{so.P50Ms:0.0} / {so.P99Ms:0.0} ms ({so.MaxMs:0.0})" : "n/a (one login)");
Row("  of which the client hearing of it, p50 / p99", s => s.Notification is { } n ? $"{n.P50Ms:0.0} / {n.P99Ms:0.0} ms" : "n/a");
Row("failures, all consumers", s => $"{s.Failures:N0}");
return failed ? 1 : 0;

static long Failed(DemoPgBench? bench) => bench is null ? 0 : bench.TransactionsFailed + bench.ConnectionsFailed;

void Row(string label, Func<DemoSummary, string> cell) =>
    Console.WriteLine($"| {label} | " + string.Join(" | ", results.Select(r => cell(r.Summary))) + " |");

int IntArg(string name, int fallback) =>
    Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;

string? StringArg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

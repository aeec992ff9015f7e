using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Npgsql;
using PgRotate.Bench;
using PgRotate.Crypto;
using PgRotate.Local;
using PgRotate.Postgres;
using PgRotate.Rotation;
using PgRotate.Secrets;
using PgRotate.Setup;
using PgRotate.Store;
using PgRotate.Store.Sqlite;

// pgrotate benchmark: rotation latency against the floor and the AWS Lambda algorithm, and bulk throughput against
// the server's own capacity, all measured in this run on one throwaway cluster.
//   dotnet run -c Release --project bench/PgRotate.Bench -- [--rotations 200] [--secrets 1000] [--parallel 4] [--stores sqlite,postgres] [--pg-bindir DIR]
var rotations = IntArg("--rotations", 200);
var secrets = IntArg("--secrets", 1000);
var parallel = IntArg("--parallel", 4);
var binDir = StringArg("--pg-bindir");
// Which stores the latency section measures; the bulk section always uses the SQLite store.
string[] knownStores = ["sqlite", "postgres"];
var stores = (StringArg("--stores") ?? "sqlite,postgres").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
if (stores.Length == 0 || stores.Any(s => !knownStores.Contains(s)))
{
    await Console.Error.WriteLineAsync($"pgrotate-bench: --stores takes a comma-separated list of {string.Join(", ", knownStores)}; got '{StringArg("--stores")}'");
    return 2;
}


await using var cluster = await ThrowawayCluster.StartAsync(binDir);
await using (var tune = await cluster.OpenSuperuserConnectionAsync())
await using (var command = new NpgsqlCommand("ALTER SYSTEM SET log_statement = 'none'; SELECT pg_reload_conf()", tune))
{
    // Statement logging would tax every measurement alike; the benchmark measures rotation, not the logger.
    await command.ExecuteNonQueryAsync();
}

int iterations;
await using (var probe = await cluster.OpenSuperuserConnectionAsync())
{
    iterations = await TargetOperations.ReadScramIterationsAsync(probe, CancellationToken.None);
}

Console.WriteLine($"pgrotate benchmark on {cluster.Binaries.VersionText}, {Environment.ProcessorCount} cores, scram_iterations {iterations}, {rotations} rotations, {secrets} secrets × parallel {parallel}");
Console.WriteLine();

var folder = Directory.CreateTempSubdirectory("pgrotate-bench-").FullName;
try
{
    using var key = MasterKey.Generate();
    await using var store = await SqliteSecretStore.CreateAsync(Path.Combine(folder, "bench.db"), key, TimeProvider.System, "bench", CancellationToken.None);
    var target = cluster.AsTarget("bench");
    await store.AddTargetAsync(target, CancellationToken.None);
    await using var connector = new TargetConnector();
    var setup = new SecretSetup(store, connector, TimeProvider.System);
    var engine = new RotationEngine(store, connector, TimeProvider.System);

    // 1. Latency of one alternating rotation, one store after the other, each interleaved with floor samples.
    await using var floor = await Floor.CreateAsync(cluster, iterations);
    var latencies = new List<StoreLatency>();
    StoreLatency? sqlite = null;
    if (stores.Contains("sqlite"))
    {
        await setup.AddAsync(new SecretRequest("bench/latency", "bench", Strategy.Alternating, "bench_latency"), false, CancellationToken.None);
        sqlite = new StoreLatency("SQLite store", "pgrotate rotate (create → set → test → finish)");
        await sqlite.MeasureAsync(new RotationEngine(store, connector, TimeProvider.System, hooks: sqlite.Hooks), "bench/latency", floor, rotations, CancellationToken.None);
        latencies.Add(sqlite);
    }

    if (stores.Contains("postgres"))
    {
        await using var postgresStore = await PostgresStoreBench.CreateStoreAsync(cluster, key);
        await postgresStore.AddTargetAsync(target, CancellationToken.None);
        await new SecretSetup(postgresStore, connector, TimeProvider.System)
            .AddAsync(new SecretRequest("bench/latency-pg", "bench", Strategy.Alternating, "bench_latency_pg"), false, CancellationToken.None);
        var postgres = new StoreLatency("PostgreSQL store", "pgrotate rotate, store in PostgreSQL");
        await postgres.MeasureAsync(new RotationEngine(postgresStore, connector, TimeProvider.System, hooks: postgres.Hooks), "bench/latency-pg", floor, rotations, CancellationToken.None);
        latencies.Add(postgres);
    }

    var aws = await AwsReference.MeasureAsync(cluster, rotations);

    Console.WriteLine("Latency of one alternating rotation");
    Console.WriteLine("  " + floor.Verifier);
    Console.WriteLine("  " + floor.Alter);
    Console.WriteLine("  " + floor.Login);
    Console.WriteLine($"  {"floor = sum of the three medians",-52} {floor.Total,14:0.00} ms");
    if (sqlite is not null)
    {
        Console.WriteLine("  " + sqlite.Whole);
        foreach (var step in sqlite.Steps.Values) Console.WriteLine("  " + step);
    }

    Console.WriteLine("  " + aws);
    if (sqlite is not null)
    {
        Console.WriteLine($"  pgrotate median / floor: {sqlite.Whole.Median / floor.Total:0.00}× (goal ≤ 1.20×)   AWS algorithm / pgrotate: {aws.Median / sqlite.Whole.Median:0.00}× (goal ≥ 2×)");
    }

    Console.WriteLine();
    Console.WriteLine("Latency by store, same run, same cluster" + (stores.Contains("postgres")
        ? $" (PostgreSQL store: database \"{PostgresStoreBench.Database}\" of its own on the benchmark's cluster, over TCP)"
        : ""));
    LatencyTable.Write(Console.Out, floor, latencies);
    Console.WriteLine();

    // 2. Bulk: many secrets rotated with bounded parallelism, against the server's capacity for the same SQL work.
    Console.Error.WriteLine($"setting up {secrets} secrets…");
    var names = Enumerable.Range(0, secrets).Select(i => $"bulk/s{i:D5}").ToList();
    await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (name, ct) =>
        await setup.AddAsync(new SecretRequest(name, "bench", Strategy.Alternating, "bulk_" + name[6..]), false, ct));

    var bulkStarted = Stopwatch.GetTimestamp();
    await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (name, ct) => await engine.RotateAsync(name, ct));
    var bulkSeconds = Stopwatch.GetElapsedTime(bulkStarted).TotalSeconds;

    var capacity = await CapacityAsync(cluster, names.Count, parallel, iterations);
    var rate = names.Count / bulkSeconds;
    Console.WriteLine($"Bulk: {names.Count} secrets, parallel {parallel}");
    Console.WriteLine($"  {"pgrotate rotations per second",-52} {rate,10:0.0} /s   ({bulkSeconds:0.00} s)");
    Console.WriteLine($"  {"server capacity: ALTER ROLE + fresh login per second",-52} {capacity,10:0.0} /s");
    Console.WriteLine($"  pgrotate / capacity: {rate / capacity * 100:0}% (goal ≥ 70%)");
}
finally
{
    SqliteConnection.ClearAllPools();
    Directory.Delete(folder, recursive: true);
}

return 0;

// The same server work a rotation must do (verifier, ALTER ROLE … PASSWORD, one fresh login), with no pgrotate in the way.
static async Task<double> CapacityAsync(ThrowawayCluster cluster, int count, int parallel, int iterations)
{
    var roles = Enumerable.Range(0, count).Select(i => $"cap_{i:D5}").ToList();
    await using var admin = NpgsqlDataSource.Create(cluster.ConnectionString());
    foreach (var chunk in roles.Chunk(500))
    {
        await using var create = admin.CreateCommand(string.Concat(chunk.Select(r => $"CREATE ROLE {Sql.Identifier(r)} LOGIN;")));
        await create.ExecuteNonQueryAsync();
    }

    var started = Stopwatch.GetTimestamp();
    await Parallel.ForEachAsync(roles, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (role, ct) =>
    {
        var password = PasswordGenerator.Generate();
        await using (var alter = admin.CreateCommand($"ALTER ROLE {Sql.Identifier(role)} PASSWORD {Sql.Literal(ScramVerifier.Create(password, iterations))}"))
        {
            await alter.ExecuteNonQueryAsync(ct);
        }

        await using var source = TargetConnector.Build(cluster.ConnectionString(), role, password, null, pooling: false);
        await using var login = await source.OpenConnectionAsync(ct);
    });
    return count / Stopwatch.GetElapsedTime(started).TotalSeconds;
}

int IntArg(string name, int fallback) => StringArg(name) is { } text ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : fallback;

string? StringArg(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

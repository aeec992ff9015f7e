using System.Data.Common;
using PgRotate.Client;
using PgRotate.Contracts;
using PgRotate.Secrets;
using PgRotate.Wire;

namespace PgRotate.Cli.Commands.Demo;

/// <summary>
/// One run of <c>pgrotate demo</c>: sets up the environment, starts the consumers and the rotations, shows progress for
/// <c>--duration</c> (or until Ctrl-C), stops everything, checks the pattern and returns the summary. Everything it
/// started is stopped and removed before it returns, also when interrupted.
/// </summary>
internal sealed class DemoRun(CliContext context, DemoOptions options, bool terminal)
{
    private const string ServiceName = "demo_app";

    public async Task<DemoSummary> RunAsync(CancellationToken cancellationToken)
    {
        var o = context.Out;
        var time = context.Time;
        var plain = !context.Json;
        if (plain)
        {
            await o.WriteLineAsync("pgrotate demo: starting a throwaway PostgreSQL, a temporary store and the server…");
        }

        await using var environment = await DemoEnvironment.StartAsync(context, options.Strategy, options.BinDir, cancellationToken);
        var first = await environment.Api.GetAsync(cancellationToken);
        var scratch = environment.Cluster.ScratchDirectory;
        var serviceFile = Path.Combine(scratch, "pg_service.conf");
        var pgBenchProgram = PgBenchProgram(environment.Cluster.Binaries.BinDir);
        var script = Path.Combine(scratch, "login.sql");
        await File.WriteAllTextAsync(script, "SELECT session_user;\n", cancellationToken);
        await using var pgBouncer = options.PgBouncerProgram is { } bouncerProgram && pgBenchProgram is not null
            ? await DemoPgBouncer.StartAsync(bouncerProgram, pgBenchProgram, scratch, script, time, cancellationToken)
            : null;
        // The agent's own code renders the file pgbench reads, and pgbouncer's databases line, as `pgrotate agent`
        // would in production.
        var agent = new InProcessAgent(environment.Api, ["--render", $"{DemoEnvironment.SecretName}:service:{serviceFile}", .. pgBouncer?.AgentArguments ?? []], scratch, time);
        await agent.RenderOnceAsync(cancellationToken);
        var pgBench = pgBenchProgram is null ? null
            : new PgBenchRunner("service file", pgBenchProgram, new Dictionary<string, string> { ["PGSERVICEFILE"] = serviceFile }, $"service={ServiceName}", script, 2,
                newConnectionPerTransaction: true, ratePerSecond: null, time);
        if (plain)
        {
            await WriteIntroductionAsync(environment, serviceFile, pgBench, pgBouncer);
        }

        var alternating = options.LoginTakesTurns;
        var switchOver = alternating ? new SwitchOverTracker(options.Workers, time) : null;
        var notification = alternating ? new SwitchOverTracker(options.Workers, time) : null;
        var sources = await DataSourcesAsync(environment, cancellationToken);
        for (var i = 0; i < sources.Count && notification is not null; i++)
        {
            var worker = i;
            notification.Observed(worker, first.Username);
            // The watcher's event, not the data source's: the data source moves its opens only after warming the new login up.
            ((PgRotateDataSource)sources[i]).Watcher.Changed += credential => notification.Observed(worker, credential.Username);
        }

        var driver = new RotationDriver(environment.Api, options.RotateEvery, [.. new[] { switchOver, notification }.OfType<SwitchOverTracker>()], time);
        await using var consumers = new DemoConsumers(sources, pgBench, pgBouncer, driver, switchOver, notification, new LatencyHistogram(), time);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var stopView = new CancellationTokenSource();
        var started = time.GetTimestamp();
        var until = started + (long)(options.Duration.TotalSeconds * time.TimestampFrequency);
        var running = new List<Task>
        {
            Task.Run(() => agent.FollowAsync(stop.Token), CancellationToken.None),
            Task.Run(() => consumers.Driver.RunAsync(first.Username, stop.Token, cancellationToken), CancellationToken.None),
        };
        running.AddRange(consumers.Workers.Select(w => Task.Run(() => w.RunAsync(stop.Token), CancellationToken.None)));
        var benches = consumers.PgBench.Select(b => Task.Run(() => b.RunAsync(until, cancellationToken), CancellationToken.None)).ToList();
        var view = Task.Run(() => new LiveView(consumers, o, terminal && plain, time).RunAsync(stopView.Token), CancellationToken.None);
        if (context.Json)
        {
            await stopView.CancelAsync();
        }

        var interrupted = false;
        try
        {
            await Task.Delay(options.Duration, time, cancellationToken);
            // pgbench runs whole seconds and ends by itself at the deadline; the others are stopped once it has.
            await Task.WhenAll(benches).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            interrupted = true;
        }

        var ran = time.GetElapsedTime(started);
        await stop.CancelAsync();
        await stopView.CancelAsync();
        await Task.WhenAll([.. running, .. benches, view]);

        // Bounded, and not tied to Ctrl-C: an interrupted demo still checks the pattern and prints its summary.
        using var finish = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var checks = await PatternChecks.RunAsync(environment, context.Connector, finish.Token);
        var throughPgBouncer = pgBouncer is null ? null : await pgBouncer.SummaryAsync(ran, agent, finish.Token);
        return Summary(consumers, checks, ran, interrupted, serviceFile, agent, throughPgBouncer);
    }

    /// <summary>One client data source per worker, as separate service instances would each have their own.</summary>
    private async Task<List<DbDataSource>> DataSourcesAsync(DemoEnvironment environment, CancellationToken cancellationToken)
    {
        var sources = new List<DbDataSource>();
        try
        {
            for (var i = 0; i < options.Workers; i++)
            {
                sources.Add(await PgRotateDataSource.CreateAsync(ClientOptions(environment), cancellationToken: cancellationToken));
            }

            return sources;
        }
        catch
        {
            foreach (var source in sources)
            {
                await source.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>What a service would configure: the server, its token and the secret; the demo's own switches on top.</summary>
    private PgRotateClientOptions ClientOptions(DemoEnvironment environment) => new()
    {
        ServerUrl = environment.Api.Server,
        Token = environment.Api.Token,
        Secret = DemoEnvironment.SecretName,
        RetryOnAuthenticationFailure = options.ClientRetry,
        ConfigureDataSource = builder => builder.ConnectionStringBuilder.Pooling = options.Pooling,
    };

    private async Task WriteIntroductionAsync(DemoEnvironment environment, string serviceFile, PgBenchRunner? pgBench, DemoPgBouncer? pgBouncer)
    {
        var o = context.Out;
        var cluster = environment.Cluster;
        await o.WriteLineAsync($"  {cluster.Binaries.VersionText} on {cluster.Host}:{cluster.Port} (scram-sha-256, log_statement=all), data in {Path.GetDirectoryName(cluster.DataDirectory)}");
        await o.WriteLineAsync(options.LoginTakesTurns
            ? $"  secret {DemoEnvironment.SecretName} (alternating): the NOLOGIN group {DemoEnvironment.Group} owns the data; its member logins take turns, current {environment.FirstLogin}"
            : $"  secret {DemoEnvironment.SecretName} (single): the login {DemoEnvironment.Group} owns the data and its password changes in place");
        await o.WriteLineAsync($"  pgrotate serve on {environment.Api.Server} with a token that may read and rotate {DemoEnvironment.SecretName}");
        await o.WriteLineAsync($"  {options.Workers} .NET workers, each with its own client data source (retry on a refused login: {(options.ClientRetry ? "on" : "off")}), querying without pause{(options.Pooling ? " through its pool" : ", a new connection per query")}");
        if (pgBench is not null)
        {
            await o.WriteLineAsync($"  pgbench -C (a new connection per transaction) with PGSERVICEFILE={serviceFile} and service={ServiceName}, a file the agent (pgrotate agent --render) keeps current from the API");
        }

        if (pgBouncer is not null)
        {
            await o.WriteLineAsync(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"  pgbench ({pgBouncer.PgBench.Clients} clients that stay connected) through pgbouncer on {pgBouncer.Address} (transaction pooling, server connections closed after {pgBouncer.ServerLifetimeSeconds:0.#} s), whose [databases] line {pgBouncer.DatabasesFile} the agent (pgrotate agent --pgbouncer-databases) keeps current, reloading pgbouncer by SIGHUP"));
        }

        await o.WriteLineAsync($"  rotating through the API every {options.RotateEvery.TotalSeconds:0.###} s for {options.Duration.TotalSeconds:0.###} s (Ctrl-C stops early)");
        await o.WriteLineAsync();
    }

    /// <summary>The pgbench of the same PostgreSQL installation, else the first on PATH.</summary>
    private static string? PgBenchProgram(string binDir) =>
        new[] { Path.Combine(binDir, "pgbench") }
            .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, "pgbench")))
            .FirstOrDefault(File.Exists);

    private DemoSummary Summary(DemoConsumers consumers, DemoChecks checks, TimeSpan ran, bool interrupted, string serviceFile, InProcessAgent agent, DemoPgBench? throughPgBouncer)
    {
        var workers = consumers.Workers.Select(w => new DemoWorker(w.Index + 1, w.Login, w.Ok, w.Failed, w.LoginChanges)).ToList();
        var throughServiceFile = consumers.ServiceFile is { } pgBench
            ? pgBench.Summary(ran) with { File = serviceFile, FileVersion = agent.LastVersion(serviceFile), FileWrites = agent.Writes(serviceFile) }
            : null;
        return new DemoSummary(
            options.Strategy.ToContract(), options.ClientRetry, options.Pooling, interrupted, Math.Round(ran.TotalSeconds, 2), options.RotateEvery.TotalSeconds,
            consumers.Driver.Done, consumers.Driver.Failed, checks.CurrentLogin, workers,
            new DemoQueries(consumers.QueriesOk, consumers.QueriesFailed, consumers.Latencies.PercentileMs(50), consumers.Latencies.PercentileMs(99)),
            throughServiceFile, throughPgBouncer, consumers.SwitchOver?.Summary(), consumers.Notification?.Summary(), checks, consumers.QueriesFailed + consumers.PgBenchFailed);
    }
}

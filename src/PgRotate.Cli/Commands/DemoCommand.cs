using System.CommandLine;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PgRotate.Crypto;
using PgRotate.Local;
using PgRotate.Postgres;
using PgRotate.Rotation;
using PgRotate.Secrets;
using PgRotate.Setup;
using PgRotate.Store;
using PgRotate.Targets;

namespace PgRotate.Cli.Commands;

/// <summary>
/// <c>pgrotate demo</c>: the main job end to end on a throwaway PostgreSQL and a throwaway store: sets up the
/// alternating pattern, rotates a few times while a client keeps opening connections with whatever credential is
/// current, and shows after each rotation who is current, that current and previous both log in, and that tables
/// made through either login belong to the group.
/// </summary>
public static class DemoCommand
{
    public static Command Create(CommandFactory commands)
    {
        var rotations = new Option<int>("--rotations")
        {
            Description = "How many rotations to show (1 to 100)",
            DefaultValueFactory = _ => 4,
            CustomParser = result => WholeNumbers.Parse(result, "--rotations", 1, 100),
        };
        var binDir = new Option<string?>("--pg-bindir") { Description = $"PostgreSQL server programs to use (default: ${PostgresBinaries.BinDirVariable}, else the newest in /usr/lib/postgresql)" };
        return commands.Command("demo", "Show pgrotate working end to end on a throwaway local PostgreSQL and a temporary SQLite store; leaves nothing behind",
            async (context, parse, cancellationToken) =>
            {
                var count = parse.GetValue(rotations);
                if (count is < 1 or > 100)
                {
                    throw Errors.PgRotateException.InvalidInput("--rotations takes a number from 1 to 100");
                }

                await RunAsync(context, count, parse.GetValue(binDir), cancellationToken);
                return ExitCodes.Ok;
            }, rotations, binDir);
    }

    private static async Task RunAsync(CliContext context, int rotations, string? binDir, CancellationToken cancellationToken)
    {
        var o = context.Out;
        var time = context.Time;
        await o.WriteLineAsync("pgrotate demo: starting a throwaway PostgreSQL…");
        await using var cluster = await ThrowawayCluster.StartAsync(binDir, cancellationToken);
        await o.WriteLineAsync($"  {cluster.Binaries.VersionText} on {cluster.Host}:{cluster.Port} (scram-sha-256, log_statement=all), data in {Path.GetDirectoryName(cluster.DataDirectory)}");

        var folder = cluster.ScratchDirectory;
        Task? clientTask = null;
        using var stopClient = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            using var key = MasterKey.Generate();
            await using var store = await StoreProviders.For(new StoreLocation(StoreKind.Sqlite, Path.Combine(folder, "pgrotate.db")), context.Host.Environment).CreateAsync(
                new StoreLocation(StoreKind.Sqlite, Path.Combine(folder, "pgrotate.db")), key, time, CliContext.Actor, cancellationToken);
            await o.WriteLineAsync($"  store {store.Location} (SQLite), master key {key.KeyId}");
            await o.WriteLineAsync("    the master key is 32 random bytes kept apart from the store (here only in memory; 'pgrotate init' writes it");
            await o.WriteLineAsync("    to pgrotate.db.key, mode 0600); each password is sealed with AES-256-GCM under its own data key, which the");
            await o.WriteLineAsync("    master key wraps. The id shown names the key and reveals nothing of it. Lose the key and the store is unreadable.");
            var target = cluster.AsTarget("demo");
            await store.AddTargetAsync(target, cancellationToken);

            await o.WriteLineAsync();
            await o.WriteLineAsync("1. secret add demo/app --target demo --group app   (the alternating-users pattern: the group app is NOLOGIN and");
            await o.WriteLineAsync("   owns the data; the logins app_a and app_b are its members and default to it, so they take turns)");
            var setup = await new SecretSetup(store, context.Connector, time)
                .AddAsync(new SecretRequest("demo/app", "demo", StrategyNames.Default, "app"), dryRun: false, cancellationToken);
            foreach (var statement in setup.Statements)
            {
                await o.WriteLineAsync($"   {statement.Display};");
            }

            await using (var admin = await context.Connector.OpenAdminAsync(target, cancellationToken))
            await using (var grant = new NpgsqlCommand("GRANT CREATE ON SCHEMA public TO app; CREATE TABLE public.orders(id bigserial PRIMARY KEY, at timestamptz DEFAULT now()); ALTER TABLE public.orders OWNER TO app", admin))
            {
                await grant.ExecuteNonQueryAsync(cancellationToken);
            }

            await o.WriteLineAsync($"   current login: {setup.CurrentLogin}; the password is stored encrypted and nobody has seen it");

            // A client that, like a service with a pool, opens fresh connections with whatever credential is current.
            var client = Task.Run(() => RunClientAsync(store, target, stopClient.Token), CancellationToken.None);
            clientTask = client;
            // A session opened before any rotation: it must keep working throughout.
            var first = (await store.FindVersionAsync("demo/app", Stage.Current, cancellationToken))!;
            await using var longLived = await context.Connector.OpenAsAsync(target, first.Username, first.Password, cancellationToken);

            await o.WriteLineAsync();
            await o.WriteLineAsync($"2. {rotations} rotations while a client keeps connecting with the current credential");
            await o.WriteLineAsync("   (back to back, each lands inside the previous one's grace, so the demo passes --force; a real secret waits");
            await o.WriteLineAsync("   for the grace to end, which a schedule's default grace always does by the next rotation)");
            var engine = new RotationEngine(store, context.Connector, time, logger: NullLogger<RotationEngine>.Instance);
            for (var i = 1; i <= rotations; i++)
            {
                // Back to back, each rotation lands inside the previous one's grace: --force says to go ahead anyway.
                var result = await engine.RotateAsync(new RotationRequest("demo/app", Force: true), cancellationToken);
                var current = (await store.FindVersionAsync("demo/app", Stage.Current, cancellationToken))!;
                var previous = (await store.FindVersionAsync("demo/app", Stage.Previous, cancellationToken))!;
                var currentCheck = await LoginAndCreateTableAsync(context.Connector, target, current, $"t_v{current.Number}", cancellationToken);
                var previousCheck = await LoginAndCreateTableAsync(context.Connector, target, previous, $"t_v{current.Number}_prev", cancellationToken);
                await o.WriteLineAsync($"   rotation {i}: {result.Elapsed.TotalMilliseconds,6:0.0} ms  current {current.Username} (v{current.Number}) → {currentCheck}");
                await o.WriteLineAsync($"                         previous {previous.Username} (v{previous.Number}) → {previousCheck}");
            }

            await o.WriteLineAsync();
            await ShowGraceEndingAsync(context, store, engine, target, cancellationToken);

            await stopClient.CancelAsync();
            var (ok, failed) = await client;
            await using (var stillThere = new NpgsqlCommand("SELECT count(*) FROM public.orders", longLived))
            {
                var rows = (long)(await stillThere.ExecuteScalarAsync(cancellationToken))!;
                await o.WriteLineAsync();
                await o.WriteLineAsync($"4. client: {ok} connections and inserts succeeded, {failed} failed; the session opened before the first rotation still works (sees {rows} rows)");
            }

            var log = await cluster.ReadServerLogAsync(cancellationToken);
            var versions = await store.ListVersionsAsync("demo/app", cancellationToken);
            var leaked = versions.Count(v => log.Contains(v.Password.Reveal(), StringComparison.Ordinal));
            await o.WriteLineAsync($"5. server log (log_statement=all): {log.Split('\n').Length} lines, {leaked} of {versions.Count} generated passwords in it (pgrotate sends only SCRAM verifiers)");
            await o.WriteLineAsync();
            await o.WriteLineAsync("done: stopping PostgreSQL and removing its temporary folder (store included)");
        }
        finally
        {
            if (clientTask is not null)
            {
                await stopClient.CancelAsync();
                await clientTask.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
    }

    /// <summary>
    /// One more rotation with a short grace, then the previous login is tried until PostgreSQL refuses it: the grace is
    /// its VALID UNTIL, enforced by the server at each login, so nothing has to run when it ends.
    /// </summary>
    private static async Task ShowGraceEndingAsync(CliContext context, ISecretStore store, RotationEngine engine, Target target, CancellationToken cancellationToken)
    {
        var o = context.Out;
        var time = context.Time;
        var grace = TimeSpan.FromSeconds(3);
        await o.WriteLineAsync($"3. a grace period ending: rotate demo/app --grace {grace.TotalSeconds:0}s");
        var result = await engine.RotateAsync(new RotationRequest("demo/app", Grace: grace, Force: true), cancellationToken);
        var previous = (await store.FindVersionAsync("demo/app", Stage.Previous, cancellationToken))!;
        var until = result.PreviousValidUntil!.Value;
        await o.WriteLineAsync($"   current {result.Username}; previous {previous.Username} valid until {until:HH:mm:ss.fff} UTC (its VALID UNTIL on the server)");
        var started = time.GetTimestamp();
        var accepted = 0;
        // Polled by logging in, as a client would: the server, not pgrotate, decides when the grace is over.
        while (await LogsInAsync(context.Connector, target, previous, cancellationToken))
        {
            accepted++;
            if (time.GetElapsedTime(started) > grace + TimeSpan.FromSeconds(30))
            {
                await o.WriteLineAsync($"   previous {previous.Username} still logs in {time.GetElapsedTime(started).TotalSeconds:0}s later: is the server's clock behind?");
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), time, cancellationToken);
        }

        await o.WriteLineAsync($"   previous {previous.Username} logged in {accepted} time(s), then was refused by PostgreSQL after {time.GetElapsedTime(started).TotalSeconds:0.0} s: password authentication failed");
        await o.WriteLineAsync($"   clients had the grace to move to {result.Username}; sessions opened before it ended keep working (the check is at login)");
    }

    private static async Task<bool> LogsInAsync(TargetConnector connector, Target target, SecretVersion version, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await connector.OpenAsAsync(target, version.Username, version.Password, cancellationToken);
            return true;
        }
        catch (Errors.PgRotateException e) when (e.Code == Errors.ErrorCode.AuthenticationFailed)
        {
            return false;
        }
    }

    private static async Task<string> LoginAndCreateTableAsync(TargetConnector connector, Target target, SecretVersion version, string table, CancellationToken cancellationToken)
    {
        await using var connection = await connector.OpenAsAsync(target, version.Username, version.Password, cancellationToken);
        await using (var create = new NpgsqlCommand($"CREATE TABLE public.{Sql.Identifier(table)}(i int)", connection))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var command = new NpgsqlCommand(
            "SELECT current_user::text || ', table ' || $1 || ' owned by ' || tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        return "logs in, acts as " + (string)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<(int Ok, int Failed)> RunClientAsync(ISecretStore store, Target target, CancellationToken cancellationToken)
    {
        int ok = 0, failed = 0;
        var connector = new TargetConnector();
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var current = (await store.FindVersionAsync("demo/app", Stage.Current, cancellationToken))!;
                await using var connection = await connector.OpenAsAsync(target, current.Username, current.Password, cancellationToken);
                await using var insert = new NpgsqlCommand("INSERT INTO public.orders DEFAULT VALUES", connection);
                await insert.ExecuteNonQueryAsync(cancellationToken);
                ok++;
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (Exception e) when (e is Errors.PgRotateException or NpgsqlException)
            {
                failed++;
            }
        }

        return (ok, failed);
    }
}

using Microsoft.AspNetCore.Builder;
using Npgsql;
using PgRotate.Access;
using PgRotate.Crypto;
using PgRotate.Local;
using PgRotate.Postgres;
using PgRotate.Secrets;
using PgRotate.Server;
using PgRotate.Server.Hosting;
using PgRotate.Setup;
using PgRotate.Store;
using PgRotate.Targets;

namespace PgRotate.Cli.Commands.Demo;

/// <summary>
/// Everything the demo runs against, all of it temporary: a throwaway PostgreSQL, an SQLite store in its scratch
/// folder under a master key held only in memory, the secret <c>demo/app</c> with a table owned by its group, and
/// <c>pgrotate serve</c> in this process on a free loopback port with a token that may read and rotate that secret.
/// Disposing stops the server and removes the cluster with its folder, store included.
/// </summary>
internal sealed class DemoEnvironment : IAsyncDisposable
{
    public const string SecretName = "demo/app";
    public const string Group = "app";
    private const string TargetName = "demo";

    private readonly MasterKey _key;
    private WebApplication? _server;

    private DemoEnvironment(ThrowawayCluster cluster, MasterKey key, ISecretStore store, Target target)
    {
        Cluster = cluster;
        _key = key;
        Store = store;
        Target = target;
    }

    public ThrowawayCluster Cluster { get; }
    public ISecretStore Store { get; }
    public Target Target { get; }
    public DemoApi Api { get; private set; } = null!;
    public string FirstLogin { get; private set; } = "";
    public IReadOnlyList<string> SetupStatements { get; private set; } = [];

    public static async Task<DemoEnvironment> StartAsync(CliContext context, Strategy strategy, string? binDir, CancellationToken cancellationToken)
    {
        var cluster = await ThrowawayCluster.StartAsync(binDir, cancellationToken);
        var key = MasterKey.Generate();
        ISecretStore? store = null;
        try
        {
            var location = new StoreLocation(StoreKind.Sqlite, Path.Combine(cluster.ScratchDirectory, "pgrotate.db"));
            store = await StoreProviders.For(location, context.Host.Environment).CreateAsync(location, key, context.Time, CliContext.Actor, cancellationToken);
            var target = cluster.AsTarget(TargetName);
            await store.AddTargetAsync(target, cancellationToken);
            var environment = new DemoEnvironment(cluster, key, store, target);
            await environment.SetUpAsync(context, strategy, cancellationToken);
            return environment;
        }
        catch
        {
            if (store is not null)
            {
                await store.DisposeAsync();
            }

            key.Dispose();
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task SetUpAsync(CliContext context, Strategy strategy, CancellationToken cancellationToken)
    {
        var setup = await new SecretSetup(Store, context.Connector, context.Time)
            .AddAsync(new SecretRequest(SecretName, TargetName, strategy, Group), dryRun: false, cancellationToken);
        SetupStatements = [.. setup.Statements.Select(s => s.Display)];
        FirstLogin = setup.CurrentLogin!;

        // A table owned by the group: what the logins create or use is the group's, whichever of them is current.
        await using (var admin = await context.Connector.OpenAdminAsync(Target, cancellationToken))
        await using (var grant = new NpgsqlCommand($"GRANT CREATE ON SCHEMA public TO {Sql.Identifier(Group)}", admin))
        {
            await grant.ExecuteNonQueryAsync(cancellationToken);
        }

        var (token, _) = await new Tokens(Store, context.Time).CreateAsync("demo",
            [TokenPolicy.Parse($"read:{SecretName}"), TokenPolicy.Parse($"rotate:{SecretName}")], TimeSpan.FromDays(1), cancellationToken);
        var settings = new ServerSettings
        {
            Listen = ListenAddress.Parse("http://127.0.0.1:0", tls: false),
            // The demo rotates through the API; the scheduler has nothing due and is not what is shown.
            SchedulerInterval = TimeSpan.FromHours(1),
        };
        _server = ServerApp.Build(settings, Store, context.Connector, context.Time, context.Host.Error);
        await _server.StartAsync(cancellationToken);
        Api = new DemoApi(ServerApp.BoundAddress(_server), token.Reveal(), SecretName);
    }

    public async ValueTask DisposeAsync()
    {
        Api?.Dispose();
        if (_server is not null)
        {
            await _server.StopAsync(CancellationToken.None);
            await _server.DisposeAsync();
        }

        await Store.DisposeAsync();
        _key.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await Cluster.DisposeAsync();
    }
}

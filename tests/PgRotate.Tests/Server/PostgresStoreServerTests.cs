using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using PgRotate.Cli;
using PgRotate.Crypto;
using PgRotate.Postgres;
using PgRotate.Server;
using PgRotate.Server.Hosting;
using PgRotate.Store;
using PgRotate.Store.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Server;

/// <summary>The server over the PostgreSQL store: tokens made by the CLI work, credentials are served, rotations land, revocation holds.</summary>
public sealed class PostgresStoreServerTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Tokens_credentials_rotation_and_revocation_work_the_same_on_the_postgresql_store()
    {
        var database = await postgres.CreateDatabaseAsync();
        var storeUrl = $"postgresql://postgres:{postgres.Cluster.SuperuserPassword.Reveal()}@{postgres.Cluster.Host}:{postgres.Cluster.Port}/{database}";
        var masterKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(MasterKey.KeyLength));
        using var sandbox = new CliSandbox(postgres);
        sandbox.SetEnvironment(CliContext.StoreVariable, storeUrl);
        sandbox.SetEnvironment(MasterKey.EnvironmentVariable, masterKey);
        await sandbox.InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", RunningServer.Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"))).Ok();
        var created = JsonDocument.Parse((await sandbox.RunAsync("token", "create", "--name", "deployer", "--policy", "read:orders/*", "--policy", "rotate:orders/app", "--json")).Ok()).RootElement;
        using var key = MasterKey.FromBase64(masterKey);
        await using var store = await new PostgresSecretStoreProvider(_ => null).OpenAsync(StoreLocation.Parse(storeUrl), key, TimeProvider.System, null, TestContext.Current.CancellationToken);
        await using var connector = new TargetConnector();
        await using var app = ServerApp.Build(new ServerSettings { Listen = ListenAddress.Parse("http://127.0.0.1:0", tls: false), TokenCacheTime = TimeSpan.Zero }, store, connector, TimeProvider.System, TextWriter.Null);
        await app.StartAsync(TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = ServerApp.BoundAddress(app) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.GetProperty("token").GetString());

        using var read = await http.GetAsync("/v1/secrets/orders/app", TestContext.Current.CancellationToken);
        var version = (await RunningServer.JsonAsync(read)).GetProperty("version").GetInt32();
        using var rotated = await http.PostAsync("/v1/secrets/orders/app/rotate", null, TestContext.Current.CancellationToken);
        (await sandbox.RunAsync("token", "revoke", "deployer")).Ok();
        using var afterRevoke = await http.GetAsync("/v1/secrets/orders/app", TestContext.Current.CancellationToken);
        await app.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Assert.Equal(version + 1, (await RunningServer.JsonAsync(rotated)).GetProperty("version").GetInt32());
        Assert.Equal(HttpStatusCode.Unauthorized, afterRevoke.StatusCode);
        Assert.Equal(0, await postgres.ScalarAsync<long>("SELECT count(*) FROM pgrotate.tokens WHERE hash IS NULL OR length(hash) <> 32", database));
    }
}

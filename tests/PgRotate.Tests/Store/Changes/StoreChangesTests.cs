using PgRotate.Cli;
using PgRotate.Crypto;
using PgRotate.Store;
using PgRotate.Store.Postgres;
using PgRotate.Tests.Audit;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Store.Changes;

/// <summary>
/// <c>store.Changes</c>: a watcher in this process is woken by a rotation made by another pgrotate process on the same
/// store (an SQLite file, or a PostgreSQL store), and a PostgreSQL watcher whose LISTEN connection is killed comes
/// back, saying "re-read everything" (null) because notifications were lost meanwhile.
/// </summary>
public sealed class StoreChangesTests(PostgresFixture postgres)
{
    private const string Secret = "orders/app";

    /// <summary>Only turns a feed that never signals into a failure instead of a hang; nothing is timed.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task An_sqlite_watcher_is_woken_by_a_rotation_in_another_process()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"))).Ok();
        using var key = await MasterKey.ReadFileAsync(sandbox.KeyPath, TestContext.Current.CancellationToken);
        await using var store = await TestStores.OpenAsync(new StoreLocation(StoreKind.Sqlite, sandbox.StorePath), key, TimeProvider.System);

        await AssertWokenByRotationAsync(sandbox, store);
    }

    [Fact]
    public async Task A_postgres_watcher_is_woken_by_a_rotation_in_another_process()
    {
        var (sandbox, store, _) = await PostgresStoreAsync();
        using var closeSandbox = sandbox;
        await using var closeStore = store;

        await AssertWokenByRotationAsync(sandbox, store);
    }

    [Fact]
    public async Task A_postgres_watcher_whose_connection_is_killed_reconnects_and_says_re_read_everything()
    {
        var (sandbox, store, database) = await PostgresStoreAsync();
        using var closeSandbox = sandbox;
        await using var closeStore = store;
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        guard.CancelAfter(HangGuard);
        await using var watch = store.Changes.WatchAsync(guard.Token).GetAsyncEnumerator(guard.Token);
        Assert.True(await watch.MoveNextAsync());
        Assert.Null(watch.Current);

        var killed = await postgres.ScalarAsync<long>(
            $"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{database}' AND query LIKE '%LISTEN%' AND pid <> pg_backend_pid()");
        Assert.True(await watch.MoveNextAsync());
        var afterReconnect = watch.Current;
        (await CliProcess.RunAsync(sandbox, null, "rotate", Secret)).Ok();
        Assert.True(await watch.MoveNextAsync());

        Assert.Equal(1, killed);
        Assert.Null(afterReconnect);
        Assert.Equal(Secret, watch.Current);
    }

    /// <summary>The feed first says it is live (null), then names the secret a separate CLI process rotated.</summary>
    private static async Task AssertWokenByRotationAsync(CliSandbox sandbox, ISecretStore store)
    {
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        guard.CancelAfter(HangGuard);
        await using var watch = store.Changes.WatchAsync(guard.Token).GetAsyncEnumerator(guard.Token);
        Assert.True(await watch.MoveNextAsync());
        Assert.Null(watch.Current);

        (await CliProcess.RunAsync(sandbox, null, "rotate", Secret)).Ok();
        Assert.True(await watch.MoveNextAsync());

        Assert.Equal(Secret, watch.Current);
    }

    /// <summary>A CLI working folder on a PostgreSQL store of its own with a secret added, and that store opened here.</summary>
    private async Task<(CliSandbox Sandbox, ISecretStore Store, string Database)> PostgresStoreAsync()
    {
        var database = await postgres.CreateDatabaseAsync();
        var keyText = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(MasterKey.KeyLength));
        var location = $"Host={postgres.Cluster.Host};Port={postgres.Cluster.Port};Database={database};Username=postgres";
        var sandbox = new CliSandbox(postgres);
        sandbox.SetEnvironment(CliContext.StoreVariable, location);
        sandbox.SetEnvironment(PostgresStoreConnection.PasswordVariable, postgres.Cluster.SuperuserPassword.Reveal());
        sandbox.SetEnvironment(MasterKey.EnvironmentVariable, keyText);
        await sandbox.InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"))).Ok();
        var key = MasterKey.FromBase64(keyText);
        var store = await TestStores.OpenAsync(new StoreLocation(StoreKind.Postgres, location + ";Password=" + postgres.Cluster.SuperuserPassword.Reveal()), key, TimeProvider.System);
        return (sandbox, store, database);
    }
}

using PgRotate.Crypto;
using PgRotate.Rotation;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Store.Postgres;

/// <summary>
/// The PostgreSQL store's rotation lock keeps its sessions between acquisitions (no new login per rotation), and a
/// session goes back to its pool holding nothing; one that died is not used again.
/// </summary>
public sealed class AdvisoryRotationLockSessionTests(PostgresFixture postgres)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Taking_the_lock_again_reuses_the_session_of_the_last_holder_instead_of_logging_in()
    {
        var db = await PostgresStoreDatabase.CreateAsync(postgres);
        using var key = MasterKey.Generate();
        await using var store = await db.CreateStoreAsync(key);

        var first = await store.Locks.AcquireAsync(LockKey.Secret("orders/app"), null, Cancel);
        var firstHolder = await HolderAsync(db);
        await first.DisposeAsync();
        var second = await store.Locks.AcquireAsync(LockKey.Secret("billing/app"), null, Cancel);
        var secondHolder = await HolderAsync(db);
        await second.DisposeAsync();

        Assert.Equal(firstHolder, secondHolder);
    }

    [Fact]
    public async Task A_released_lock_leaves_its_idle_session_holding_no_advisory_lock()
    {
        var db = await PostgresStoreDatabase.CreateAsync(postgres);
        using var key = MasterKey.Generate();
        await using var store = await db.CreateStoreAsync(key);
        var held = await store.Locks.AcquireAsync(LockKey.Secret("orders/app"), null, Cancel);
        var holder = await HolderAsync(db);

        await held.DisposeAsync();

        Assert.True(await postgres.ScalarAsync<bool>($"SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = {holder})"));
        Assert.Equal(0L, await postgres.ScalarAsync<long>(
            $"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = '{db.Database}')"));
    }

    [Fact]
    public async Task A_store_whose_lock_session_died_takes_the_lock_on_a_new_one()
    {
        var db = await PostgresStoreDatabase.CreateAsync(postgres);
        using var key = MasterKey.Generate();
        await using var store = await db.CreateStoreAsync(key);
        var held = await store.Locks.AcquireAsync(LockKey.Secret("orders/app"), null, Cancel);
        var holder = await HolderAsync(db);
        Assert.True(await postgres.ScalarAsync<bool>($"SELECT pg_terminate_backend({holder}, 5000)"));
        await held.DisposeAsync();

        var again = await store.Locks.AcquireAsync(LockKey.Secret("orders/app"), null, Cancel);

        Assert.NotEqual(holder, await HolderAsync(db));
        await again.DisposeAsync();
    }

    [Fact]
    public async Task An_idle_lock_session_the_server_ended_is_replaced_when_the_lock_is_taken_again()
    {
        var db = await PostgresStoreDatabase.CreateAsync(postgres);
        using var key = MasterKey.Generate();
        await using var store = await db.CreateStoreAsync(key);
        var held = await store.Locks.AcquireAsync(LockKey.Secret("orders/app"), null, Cancel);
        var holder = await HolderAsync(db);
        await held.DisposeAsync();
        // What a restart of the store's server does to the pooled, idle session.
        Assert.True(await postgres.ScalarAsync<bool>($"SELECT pg_terminate_backend({holder}, 5000)"));

        var again = await store.Locks.AcquireAsync(LockKey.Secret("orders/app"), null, Cancel);

        Assert.NotEqual(holder, await HolderAsync(db));
        await again.DisposeAsync();
    }

    /// <summary>The backend holding the one granted advisory lock in the store's database.</summary>
    private Task<int> HolderAsync(PostgresStoreDatabase db) => postgres.ScalarAsync<int>(
        $"SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = '{db.Database}')");
}

using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Rotation;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Store.Postgres;

/// <summary>
/// The PostgreSQL store's rotation lock: one holder per key among every store object (every process, every machine)
/// on the database; a waiter gets it when it is released; a holder whose session dies releases it at once.
/// </summary>
public sealed class AdvisoryRotationLockTests(PostgresFixture postgres)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_held_lock_refuses_a_second_holder_until_it_is_released()
    {
        var db = await PostgresStoreDatabase.CreateAsync(postgres);
        using var key = MasterKey.Generate();
        await using var first = await db.CreateStoreAsync(key);
        await using var second = await db.OpenStoreAsync(key);

        var held = await first.Locks.AcquireAsync(LockKey.Secret("orders/app"), null, Cancel);
        var refused = await Assert.ThrowsAsync<PgRotateException>(() => second.Locks.AcquireAsync(LockKey.Secret("orders/app"), null, Cancel));
        Assert.Equal(ErrorCode.RotationInProgress, refused.Code);
        Assert.Equal("secret orders/app is being rotated by another pgrotate process; use --wait to wait for it", refused.Message);
        // Another key is independent.
        await (await second.Locks.AcquireAsync(LockKey.Secret("billing/app"), null, Cancel)).DisposeAsync();

        await held.DisposeAsync();
        await (await second.Locks.AcquireAsync(LockKey.Secret("orders/app"), null, Cancel)).DisposeAsync();
    }

    [Fact]
    public async Task A_waiter_gets_the_lock_when_the_holder_releases_it()
    {
        var db = await PostgresStoreDatabase.CreateAsync(postgres);
        using var key = MasterKey.Generate();
        await using var first = await db.CreateStoreAsync(key);
        await using var second = await db.OpenStoreAsync(key);
        var held = await first.Locks.AcquireAsync(LockKey.TargetAdmin("orders-db"), null, Cancel);

        var waiting = second.Locks.AcquireAsync(LockKey.TargetAdmin("orders-db"), TimeSpan.FromMinutes(1), Cancel);
        // The waiter is polling, not holding: an attempt without waiting is still refused.
        await Assert.ThrowsAsync<PgRotateException>(() => second.Locks.AcquireAsync(LockKey.TargetAdmin("orders-db"), null, Cancel));
        Assert.False(waiting.IsCompleted);
        await held.DisposeAsync();

        await (await waiting).DisposeAsync();
    }

    [Fact]
    public async Task A_holder_whose_session_dies_releases_the_lock()
    {
        var db = await PostgresStoreDatabase.CreateAsync(postgres);
        using var key = MasterKey.Generate();
        await using var first = await db.CreateStoreAsync(key);
        await using var second = await db.OpenStoreAsync(key);
        var held = await first.Locks.AcquireAsync(LockKey.Secret("orders/app"), null, Cancel);
        await Assert.ThrowsAsync<PgRotateException>(() => second.Locks.AcquireAsync(LockKey.Secret("orders/app"), null, Cancel));

        // What the server sees when a holder's process or machine dies: its session ends without unlocking.
        Assert.True(await postgres.ScalarAsync<bool>(
            $"SELECT bool_and(pg_terminate_backend(pid, 5000)) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = '{db.Database}')"));

        await (await second.Locks.AcquireAsync(LockKey.Secret("orders/app"), null, Cancel)).DisposeAsync();
        await held.DisposeAsync();
    }

    [Fact]
    public async Task Two_stores_in_one_database_do_not_share_locks()
    {
        var db = await PostgresStoreDatabase.CreateAsync(postgres);
        using var key = MasterKey.Generate();
        await using var one = await db.CreateStoreAsync(key, schema: "team_one");
        await using var two = await db.CreateStoreAsync(key, schema: "team_two");

        await using var held = await one.Locks.AcquireAsync(LockKey.Secret("orders/app"), null, Cancel);
        await (await two.Locks.AcquireAsync(LockKey.Secret("orders/app"), null, Cancel)).DisposeAsync();
    }
}

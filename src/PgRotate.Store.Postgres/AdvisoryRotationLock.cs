using Npgsql;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Rotation;

namespace PgRotate.Store.Postgres;

/// <summary>
/// The rotation lock of a PostgreSQL store: a session-level advisory lock in the store's own database, held on a
/// dedicated, unpooled connection for as long as the lock is held. Every pgrotate process using the store, on any
/// machine, meets the same lock. Disposing unlocks and closes the connection; a holder that dies (killed, crashed, or
/// its machine gone) loses its connection, and PostgreSQL releases the lock with the session.
/// </summary>
/// <remarks>
/// Unpooled, because a pooled connection returned to the pool would keep a session lock held by nobody. The key is a
/// 64-bit hash of the store's schema and the lock key (<see cref="PostgresMigrations.AdvisoryKey"/>), so two stores in
/// one database do not block each other. How soon a vanished machine's lock is released depends on the server noticing
/// the dead connection (tcp_keepalives_idle and friends on the server); a killed process's socket closes at once.
/// </remarks>
public sealed class AdvisoryRotationLock : IRotationLock
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private readonly PostgresStoreConnection _connection;
    private readonly TimeProvider _time;

    public AdvisoryRotationLock(PostgresStoreConnection connection, TimeProvider time)
    {
        _connection = connection;
        _time = time;
    }

    public async Task<IAsyncDisposable> AcquireAsync(LockKey key, TimeSpan? wait, CancellationToken cancellationToken)
    {
        var lockId = PostgresMigrations.AdvisoryKey("pgrotate rotation lock", _connection.Schema + "\n" + key.Value);
        await using var source = _connection.BuildDataSource(pooling: false);
        NpgsqlConnection db;
        try
        {
            db = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw PostgresErrors.Translate(e, $"store postgresql {_connection.Description}");
        }

        try
        {
            // The session lives as long as the lock: a server-side idle timeout must not end it (and the lock) mid-rotation.
            await using (var setup = new NpgsqlCommand("SET idle_session_timeout = 0; SET idle_in_transaction_session_timeout = 0", db))
            {
                await setup.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            var started = _time.GetTimestamp();
            while (true)
            {
                if (await TryLockAsync(db, lockId, cancellationToken).ConfigureAwait(false))
                {
                    return new Held(db, lockId);
                }

                if (wait is not { } limit || _time.GetElapsedTime(started) >= limit)
                {
                    throw new PgRotateException(ErrorCode.RotationInProgress,
                        $"{key.Description} is being rotated by another pgrotate process" + (wait is null ? "; use --wait to wait for it" : $"; gave up after {wait.Value.TotalSeconds:0}s"));
                }

                await Task.Delay(PollInterval, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            await db.DisposeAsync().ConfigureAwait(false);
            if (e is PgRotateException or OperationCanceledException)
            {
                throw;
            }

            throw PostgresErrors.Translate(e, $"store postgresql {_connection.Description}");
        }
    }

    private static async Task<bool> TryLockAsync(NpgsqlConnection db, long lockId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", db) { Parameters = { new NpgsqlParameter { Value = lockId } } };
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>A held lock: unlocked, then its session closed. Closing alone would release it too; unlocking first says so plainly.</summary>
    private sealed class Held(NpgsqlConnection db, long lockId) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", db) { Parameters = { new NpgsqlParameter { Value = lockId } } };
                await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                // The session is already gone, and with it the lock.
            }
            finally
            {
                await db.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}

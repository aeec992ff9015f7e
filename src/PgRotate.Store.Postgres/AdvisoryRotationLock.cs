using Npgsql;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Rotation;

namespace PgRotate.Store.Postgres;

/// <summary>
/// The rotation lock of a PostgreSQL store: a session-level advisory lock in the store's own database, held on a
/// connection of its own for as long as the lock is held. Every pgrotate process using the store, on any machine,
/// meets the same lock. Disposing unlocks; a holder that dies (killed, crashed, or its machine gone) loses its
/// connection, and PostgreSQL releases the lock with the session.
/// </summary>
/// <remarks>
/// The connections come from a pool of their own, kept for the life of the store, so taking the lock costs one round
/// trip rather than a new SCRAM login each time. A connection goes back to that pool only after
/// <c>pg_advisory_unlock_all()</c> has succeeded on it, so an idle pooled session never holds a lock; one whose unlock
/// fails is broken and Npgsql closes it instead of pooling it (which also ends the session and its locks). The lock's
/// pool is separate from the store's statement pool, so a held lock never takes a connection the store's own work
/// needs. Its sessions run with idle timeouts off (set at login, so the reset Npgsql does on reuse keeps them): a
/// server-side idle timeout must not end the session, and with it the lock, mid-rotation.
/// The key is a 64-bit hash of the store's schema and the lock key (<see cref="PostgresMigrations.AdvisoryKey"/>), so
/// two stores in one database do not block each other. How soon a vanished machine's lock is released depends on the
/// server noticing the dead connection (tcp_keepalives_idle and friends on the server); a killed process's socket
/// closes at once.
/// </remarks>
internal sealed class AdvisoryRotationLock : IRotationLock, IAsyncDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private readonly PostgresStoreConnection _connection;
    private readonly TimeProvider _time;
    private readonly NpgsqlDataSource _sessions;

    public AdvisoryRotationLock(PostgresStoreConnection connection, TimeProvider time)
    {
        _connection = connection;
        _time = time;
        _sessions = connection.BuildLockDataSource();
    }

    public async Task<IAsyncDisposable> AcquireAsync(LockKey key, TimeSpan? wait, CancellationToken cancellationToken)
    {
        var lockId = PostgresMigrations.AdvisoryKey("pgrotate rotation lock", _connection.Schema + "\n" + key.Value);
        var db = await OpenSessionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            bool locked;
            try
            {
                locked = await TryLockAsync(db, lockId, cancellationToken).ConfigureAwait(false);
            }
            catch (NpgsqlException) when (db.FullState.HasFlag(System.Data.ConnectionState.Broken))
            {
                // A pooled session the server ended while it sat idle (a restart, a terminated backend): once, a new one.
                await db.DisposeAsync().ConfigureAwait(false);
                db = await OpenSessionAsync(cancellationToken).ConfigureAwait(false);
                locked = await TryLockAsync(db, lockId, cancellationToken).ConfigureAwait(false);
            }

            var started = _time.GetTimestamp();
            while (!locked)
            {
                if (wait is not { } limit || _time.GetElapsedTime(started) >= limit)
                {
                    throw new PgRotateException(ErrorCode.RotationInProgress,
                        $"{key.Description} is being rotated by another pgrotate process" + (wait is null ? "; use --wait to wait for it" : $"; gave up after {wait.Value.TotalSeconds:0}s"));
                }

                await Task.Delay(PollInterval, _time, cancellationToken).ConfigureAwait(false);
                locked = await TryLockAsync(db, lockId, cancellationToken).ConfigureAwait(false);
            }

            return new Held(db);
        }
        catch (Exception e)
        {
            // Not locked here (or the lock is of no use to anyone): the same release as a held lock, so the
            // connection is pooled again only with nothing held.
            await new Held(db).DisposeAsync().ConfigureAwait(false);
            if (e is PgRotateException or OperationCanceledException)
            {
                throw;
            }

            throw PostgresErrors.Translate(e, $"store postgresql {_connection.Description}");
        }
    }

    private async Task<NpgsqlConnection> OpenSessionAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _sessions.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw PostgresErrors.Translate(e, $"store postgresql {_connection.Description}");
        }
    }

    public ValueTask DisposeAsync() => _sessions.DisposeAsync();

    private static async Task<bool> TryLockAsync(NpgsqlConnection db, long lockId, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", db) { Parameters = { new NpgsqlParameter { Value = lockId } } };
        await using var closeCommand = command.ConfigureAwait(false);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// A held lock. Releasing unlocks every advisory lock of the session before the connection goes back to the lock's
    /// pool; when that fails the connection is broken, and Npgsql closes it rather than pool it.
    /// </summary>
    private sealed class Held(NpgsqlConnection db) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                var command = new NpgsqlCommand("SELECT pg_advisory_unlock_all()", db);
                await using var closeCommand = command.ConfigureAwait(false);
                await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                // The session is already gone, and with it the lock; the broken connection is not pooled again.
            }
            finally
            {
                await db.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}

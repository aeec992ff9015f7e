using System.Security.Cryptography;
using System.Text;
using Npgsql;
using PgRotate.Postgres;
using PgRotate.Store;

namespace PgRotate.Store.Postgres;

/// <summary>
/// The change feed of a PostgreSQL store: the transactions that promote a version, add or remove a secret send a NOTIFY
/// with the secret's name on a channel named after the store's schema (PostgreSQL delivers it at commit, to every
/// listening session on any machine); one dedicated connection per store LISTENs, however many watch. When that
/// connection drops it is opened again with a growing pause, and watchers get null: notifications sent while it was
/// down are lost, so they re-read everything.
/// </summary>
internal sealed class PostgresStoreChanges : IStoreChanges
{
    /// <summary>How long the listening connection may sit idle before a query proves it is still there.</summary>
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(10);

    private readonly PostgresStoreConnection _connection;
    private readonly TimeProvider _time;
    private readonly string _channel;
    private readonly StoreChangeHub _hub;

    public PostgresStoreChanges(PostgresStoreConnection connection, TimeProvider time)
    {
        _connection = connection;
        _time = time;
        _channel = Channel(connection.Schema);
        _hub = new StoreChangeHub(ListenAsync);
    }

    public IAsyncEnumerable<string?> WatchAsync(CancellationToken cancellationToken) => _hub.WatchAsync(cancellationToken);

    /// <summary>
    /// The notification channel of the store in <paramref name="schema"/>: <c>SCHEMA_changes</c>, or, where that would
    /// pass PostgreSQL's 63-byte name limit (and be cut), a name made from a hash of the schema.
    /// </summary>
    public static string Channel(string schema)
    {
        var name = schema + "_changes";
        return Encoding.UTF8.GetByteCount(name) <= 63
            ? name
            : "pgrotate_changes_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(schema)))[..32];
    }

    /// <summary>Inside a store transaction: tells every listener, at commit, that <paramref name="secret"/> may have changed.</summary>
    internal static async Task NotifyAsync(NpgsqlConnection db, NpgsqlTransaction transaction, string schema, string secret, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand("SELECT pg_notify($1, $2)", db, transaction)
        {
            Parameters = { new NpgsqlParameter { Value = Channel(schema) }, new NpgsqlParameter { Value = secret } },
        };
        await using var closeCommand = command.ConfigureAwait(false);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task ListenAsync(Action<string?> publish, CancellationToken cancellationToken)
    {
        var pause = FirstRetry;
        while (true)
        {
            try
            {
                await ListenOnceAsync(publish, () => pause = FirstRetry, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                // Dropped (server restart, pg_terminate_backend, network): try again after a pause that grows while it
                // keeps failing, so an unreachable store is not hammered.
            }

            await Task.Delay(pause, _time, cancellationToken).ConfigureAwait(false);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LastRetry.Ticks));
        }
    }

    private async Task ListenOnceAsync(Action<string?> publish, Action connected, CancellationToken cancellationToken)
    {
        var source = _connection.BuildDataSource(pooling: false);
        await using var closeSource = source.ConfigureAwait(false);
        var db = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeDb = db.ConfigureAwait(false);
        db.Notification += (_, e) => publish(e.Payload);
        var listen = new NpgsqlCommand($"SET idle_session_timeout = 0; LISTEN {Sql.Identifier(_channel)}", db);
        await using (listen.ConfigureAwait(false))
        {
            await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        connected();
        // Live from here: whatever changed before (or while a previous connection was down) is unknown.
        publish(null);
        while (true)
        {
            if (!await db.WaitAsync(KeepAlive, cancellationToken).ConfigureAwait(false))
            {
                var ping = new NpgsqlCommand("SELECT 1", db);
                await using var closePing = ping.ConfigureAwait(false);
                await ping.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }
}

using Microsoft.Data.Sqlite;
using PgRotate.Store;

namespace PgRotate.Store.Sqlite;

/// <summary>
/// The change feed of an SQLite store. SQLite has no notifications between processes, so one poller per store (however
/// many watch) asks SQLite every <see cref="Interval"/> whether anyone else committed to the file (<c>PRAGMA
/// data_version</c>, a cheap counter read on its own connection); only then does it read which secrets' current
/// versions changed, appeared or went, and signals those. Commits made by this process count as well, since they are
/// made on other connections.
/// </summary>
internal sealed class SqliteStoreChanges : IStoreChanges
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private static readonly TimeSpan RetryPause = TimeSpan.FromSeconds(1);

    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly StoreChangeHub _hub;

    public SqliteStoreChanges(string storeConnectionString, TimeProvider time)
    {
        // Its own connection, outside the pool: data_version counts commits made by other connections than this one.
        _connectionString = new SqliteConnectionStringBuilder(storeConnectionString) { Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        _time = time;
        _hub = new StoreChangeHub(PollAsync);
    }

    public IAsyncEnumerable<string?> WatchAsync(CancellationToken cancellationToken) => _hub.WatchAsync(cancellationToken);

    private async Task PollAsync(Action<string?> publish, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await PollOnceAsync(publish, cancellationToken).ConfigureAwait(false);
            }
            catch (SqliteException)
            {
                // The file could not be read this time (busy beyond the timeout, replaced by a restore): start again on a
                // new connection after a pause; the poll then says "re-read everything", as it does when it starts.
                await Task.Delay(RetryPause, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task PollOnceAsync(Action<string?> publish, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await using var closeConnection = connection.ConfigureAwait(false);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        var seen = await DataVersionAsync(connection, cancellationToken).ConfigureAwait(false);
        var current = await CurrentVersionsAsync(connection, cancellationToken).ConfigureAwait(false);
        publish(null);
        while (true)
        {
            await Task.Delay(Interval, _time, cancellationToken).ConfigureAwait(false);
            var version = await DataVersionAsync(connection, cancellationToken).ConfigureAwait(false);
            if (version == seen)
            {
                continue;
            }

            seen = version;
            var now = await CurrentVersionsAsync(connection, cancellationToken).ConfigureAwait(false);
            foreach (var name in now.Keys.Union(current.Keys).Order(StringComparer.Ordinal))
            {
                if (!now.TryGetValue(name, out var after) || !current.TryGetValue(name, out var before) || before != after)
                {
                    publish(name);
                }
            }

            current = now;
        }
    }

    private static async Task<long> DataVersionAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var command = connection.CreateCommand();
        await using var closeCommand = command.ConfigureAwait(false);
        command.CommandText = "PRAGMA data_version";
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Every secret with the number of its current version (null while it has none), in one read.</summary>
    private static async Task<Dictionary<string, long?>> CurrentVersionsAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var command = connection.CreateCommand();
        await using var closeCommand = command.ConfigureAwait(false);
        command.CommandText = "SELECT s.name, v.version FROM secrets s LEFT JOIN versions v ON v.secret = s.name AND v.stage = 'current'";
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        var versions = new Dictionary<string, long?>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            versions[reader.GetString(0)] = reader.IsDBNull(1) ? null : reader.GetInt64(1);
        }

        return versions;
    }
}

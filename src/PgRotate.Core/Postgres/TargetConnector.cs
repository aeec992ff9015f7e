using System.Collections.Concurrent;
using Npgsql;
using PgRotate.Crypto;
using PgRotate.Targets;

namespace PgRotate.Postgres;

/// <summary>
/// Opens connections to targets: pooled admin connections (one data source per target, kept for this object's life)
/// and fresh, unpooled logins with a candidate credential, which is the only honest way to test one.
/// Type loading is off: pgrotate only reads built-in types, and skipping it halves the cost of a fresh login.
/// </summary>
public sealed class TargetConnector : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, NpgsqlDataSource> _adminSources = new(StringComparer.Ordinal);

    public async Task<NpgsqlConnection> OpenAdminAsync(Target target, CancellationToken cancellationToken, string? database = null)
    {
        var key = $"{target.Name}\n{database}\n{target.Password.GetHashCode()}";
        var source = _adminSources.GetOrAdd(key, _ => Build(target.ConnectionString, target.Username, target.Password, database, pooling: true, noResetOnClose: true));
        try
        {
            return await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw PostgresErrors.Translate(e, $"target {target.Name} ({target.Address}) as {target.Username}");
        }
    }

    /// <summary>A new physical connection that logs in as <paramref name="username"/> (never taken from a pool).</summary>
    public async Task<NpgsqlConnection> OpenAsAsync(Target target, string username, SecretText password, CancellationToken cancellationToken, string? database = null)
    {
        await using var source = Build(target.ConnectionString, username, password, database, pooling: false);
        try
        {
            return await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw PostgresErrors.Translate(e, $"login as {username} on {target.Address}");
        }
    }

    /// <summary>Forgets pooled admin connections of a target (after its admin password changed).</summary>
    public async Task ResetAsync(Target target)
    {
        foreach (var key in _adminSources.Keys.Where(k => k.StartsWith(target.Name + "\n", StringComparison.Ordinal)).ToList())
        {
            if (_adminSources.TryRemove(key, out var source))
            {
                await source.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <param name="noResetOnClose">
    /// Skip the DISCARD ALL a pooled connection otherwise sends when reused: pgrotate's admin sessions change no session
    /// state (every statement commits or rolls back), so it would be a wasted round of server work per step.
    /// </param>
    public static NpgsqlDataSource Build(string connectionString, string username, SecretText password, string? database, bool pooling, bool noResetOnClose = false)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.NoResetOnClose = noResetOnClose;
        builder.ConnectionStringBuilder.Username = username;
        builder.ConnectionStringBuilder.Password = password.Reveal();
        builder.ConnectionStringBuilder.Pooling = pooling;
        if (database is not null)
        {
            builder.ConnectionStringBuilder.Database = database;
        }

        if (string.IsNullOrEmpty(builder.ConnectionStringBuilder.ApplicationName))
        {
            builder.ConnectionStringBuilder.ApplicationName = "pgrotate";
        }

        builder.ConfigureTypeLoading(options => options.EnableTypeLoading(false));
        return builder.Build();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var source in _adminSources.Values)
        {
            await source.DisposeAsync().ConfigureAwait(false);
        }

        _adminSources.Clear();
    }
}

using System.Data.Common;
using Npgsql;

namespace PgRotate.Cli.Commands.Demo;

/// <summary>
/// A data source that follows the secret through the API's long-poll: one pooled inner source per credential, new
/// opens go to the newest; with retry, an open refused for its credential (28P01) fetches the current one and tries
/// once more. Stands in for PgRotate.Client's data source until it is part of pgrotate.
/// </summary>
internal sealed class StandInDataSource : DbDataSource
{
    private readonly DemoApi _api;
    private readonly bool _retry;
    private readonly bool _pooling;
    private readonly List<NpgsqlDataSource> _all = [];
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watch;
    private NpgsqlDataSource _current;
    private int _version;

    public StandInDataSource(DemoApi api, Contracts.Credential first, bool retry, bool pooling)
    {
        _api = api;
        _retry = retry;
        _pooling = pooling;
        _current = Build(first);
        _version = first.Version;
        _watch = Task.Run(WatchAsync);
    }

    public override string ConnectionString => Volatile.Read(ref _current).ConnectionString;

    protected override DbConnection CreateDbConnection() => Volatile.Read(ref _current).CreateConnection();

    protected override async ValueTask<DbConnection> OpenDbConnectionAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await Volatile.Read(ref _current).OpenConnectionAsync(cancellationToken);
        }
        catch (PostgresException e) when (_retry && e.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification)
        {
            Use(await _api.GetAsync(cancellationToken));
            return await Volatile.Read(ref _current).OpenConnectionAsync(cancellationToken);
        }
    }

    private async Task WatchAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                if (await _api.WaitForChangeAsync(Volatile.Read(ref _version), _stop.Token) is { } newer)
                {
                    Use(newer);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private void Use(Contracts.Credential credential)
    {
        lock (_lock)
        {
            if (credential.Version > _version)
            {
                Volatile.Write(ref _current, Build(credential));
                _version = credential.Version;
            }
        }
    }

    private NpgsqlDataSource Build(Contracts.Credential c)
    {
        var source = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder
        {
            Host = c.Host, Port = c.Port, Database = c.Database, Username = c.Username, Password = c.Password, Pooling = _pooling,
        });
        lock (_lock)
        {
            _all.Add(source);
        }

        return source;
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await _stop.CancelAsync();
        await _watch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var source in _all)
        {
            await source.DisposeAsync();
        }

        _stop.Dispose();
    }
}

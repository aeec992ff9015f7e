using System.Data;
using Npgsql;
using PgRotate.Contracts;

namespace PgRotate.Client;

/// <summary>
/// The inner Npgsql data source of one login, with the password it currently opens connections with and a count of
/// the connections it has out, so that it can be disposed once they are all back after another login took over.
/// </summary>
internal sealed class LoginSource : IAsyncDisposable
{
    private readonly TaskCompletionSource _allBack = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile Credential _credential;
    private int _held;
    private int _retired;
    private int _disposed;

    public LoginSource(Credential credential, Action<NpgsqlDataSourceBuilder>? configure, Microsoft.Extensions.Logging.ILoggerFactory? loggerFactory)
    {
        _credential = credential;
        var builder = new NpgsqlDataSourceBuilder();
        if (loggerFactory is not null)
        {
            builder.UseLoggerFactory(loggerFactory);
        }

        configure?.Invoke(builder);
        CredentialConnection.Apply(credential, builder.ConnectionStringBuilder);
        // The password is asked for at each physical open, so a rotation that keeps the login (a single secret)
        // changes it in place: the pool and its open sessions stay, the next new connection uses the new password.
        builder.UsePasswordProvider(_ => _credential.Password, (_, _) => ValueTask.FromResult(_credential.Password));
        Source = builder.Build();
    }

    public NpgsqlDataSource Source { get; }

    /// <summary>The credential this source opens connections with.</summary>
    public Credential Credential => _credential;

    /// <summary>Connections handed out and not closed yet (and opens under way).</summary>
    public int Held => Volatile.Read(ref _held);

    /// <summary>The same login with a new password: used from the next physical connection on.</summary>
    public void UsePassword(Credential credential) => _credential = credential;

    /// <summary>
    /// Counts one connection about to be handed out. Taken under the data source's lock together with the choice of
    /// this source, so a retirement that starts at the same moment sees it and does not dispose the pool under it.
    /// </summary>
    public void Lease() => Interlocked.Increment(ref _held);

    /// <summary>Opens the leased connection; the lease is given back when the open fails.</summary>
    public async ValueTask<NpgsqlConnection> OpenLeasedAsync(CancellationToken cancellationToken)
    {
        try
        {
            return Follow(await Source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false), leaseCoversNextOpen: false);
        }
        catch
        {
            Release();
            throw;
        }
    }

    /// <inheritdoc cref="OpenLeasedAsync"/>
    public NpgsqlConnection OpenLeased()
    {
        try
        {
            return Follow(Source.OpenConnection(), leaseCoversNextOpen: false);
        }
        catch
        {
            Release();
            throw;
        }
    }

    /// <summary>A closed connection for the caller to open; the lease holds the pool until it is first closed.</summary>
    public NpgsqlConnection CreateLeased() => Follow(Source.CreateConnection(), leaseCoversNextOpen: true);

    /// <summary>Counts the connection while it is open, its reopens included, through its state changes.</summary>
    private NpgsqlConnection Follow(NpgsqlConnection connection, bool leaseCoversNextOpen)
    {
        var covered = leaseCoversNextOpen;
        connection.StateChange += (_, change) =>
        {
            if (change.CurrentState == ConnectionState.Open && change.OriginalState != ConnectionState.Open)
            {
                if (covered)
                {
                    covered = false;
                }
                else
                {
                    Interlocked.Increment(ref _held);
                }
            }
            else if (change.OriginalState == ConnectionState.Open && change.CurrentState != ConnectionState.Open)
            {
                Release();
            }
        };
        return connection;
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _held) == 0 && Volatile.Read(ref _retired) == 1)
        {
            _allBack.TrySetResult();
        }
    }

    /// <summary>
    /// No new opens come here any more: waits until every connection is back (at most <paramref name="bound"/>, after
    /// which the pool is disposed anyway: Npgsql closes the rest as they are returned), then disposes the pool.
    /// </summary>
    public async Task RetireAsync(TimeSpan bound, TimeProvider time)
    {
        Volatile.Write(ref _retired, 1);
        if (Held == 0)
        {
            _allBack.TrySetResult();
        }

        using var timeout = new CancellationTokenSource(bound, time);
        try
        {
            await _allBack.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Bounded: a connection held for hours does not keep the old pool alive for hours.
        }

        await DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Whether the pool has been disposed.</summary>
    public bool Disposed => Volatile.Read(ref _disposed) == 1;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await Source.DisposeAsync().ConfigureAwait(false);
            // A retirement still waiting for connections has nothing left to wait for.
            _allBack.TrySetResult();
        }
    }
}

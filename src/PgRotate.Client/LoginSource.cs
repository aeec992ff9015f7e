using System.Data;
using Npgsql;
using PgRotate.Contracts;

namespace PgRotate.Client;

/// <summary>
/// The inner Npgsql data source of one login, with the password it currently opens connections with and a count of
/// the connections it has out, so that its pool can be emptied once they are all back after another login took over.
/// The source itself outlives a retirement: the alternating pattern gives the login its turn again at the next
/// rotation, and a source that is reused keeps what Npgsql learnt on its first connection (the database's types), which
/// otherwise costs a catalog query on every switch.
/// </summary>
internal sealed class LoginSource : IAsyncDisposable
{
    private TaskCompletionSource _allBack = NewSignal();
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
        Pooling = builder.ConnectionStringBuilder.Pooling;
        MaxPoolSize = builder.ConnectionStringBuilder.MaxPoolSize;
        // The password is asked for at each physical open, so a rotation that keeps the login (a single secret)
        // changes it in place: the pool and its open sessions stay, the next new connection uses the new password.
        builder.UsePasswordProvider(_ => _credential.Password, (_, _) => ValueTask.FromResult(_credential.Password));
        Source = builder.Build();
    }

    public NpgsqlDataSource Source { get; }

    /// <summary>The credential this source opens connections with.</summary>
    public Credential Credential => _credential;

    /// <summary>Connections handed out and not closed yet (and opens under way, warm-up included).</summary>
    public int Held => Volatile.Read(ref _held);

    /// <summary>Whether closed connections are kept for reuse (the application's builder may turn pooling off).</summary>
    public bool Pooling { get; }

    /// <summary>The most physical connections the pool keeps.</summary>
    public int MaxPoolSize { get; }

    /// <summary>The same login with a new password: used from the next physical connection on.</summary>
    public void UsePassword(Credential credential) => _credential = credential;

    /// <summary>
    /// Counts one connection about to be handed out. Taken under the data source's lock together with the choice of
    /// this source, so a retirement that starts at the same moment sees it and does not empty the pool under it.
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

    /// <summary>
    /// Opens <paramref name="count"/> physical connections at once and returns them to the pool idle, so that the
    /// first opens after a switch to this login find them ready instead of each logging in. Counted as held from the
    /// call on (taken under the data source's lock, like <see cref="Lease"/>). Gives up on what is not open after
    /// <paramref name="bound"/>; a refused login (the credential raced with another rotation) or any other failure
    /// only means fewer connections are ready: the opens that follow report their own errors.
    /// </summary>
    public Task WarmUpAsync(int count, TimeSpan bound, TimeProvider time, CancellationToken cancellationToken)
    {
        Interlocked.Add(ref _held, count);
        return count == 0 ? Task.CompletedTask : WarmUpLeasedAsync(count, bound, time, cancellationToken);
    }

    private async Task WarmUpLeasedAsync(int count, TimeSpan bound, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(bound, time);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var opened = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => OpenWarmAsync(stop.Token))).ConfigureAwait(false);
        foreach (var connection in opened.OfType<NpgsqlConnection>())
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<NpgsqlConnection?> OpenWarmAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await OpenLeasedAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or ObjectDisposedException or TimeoutException)
        {
            return null;
        }
    }

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
            Volatile.Read(ref _allBack).TrySetResult();
        }
    }

    /// <summary>
    /// No new opens come here any more: closes the idle connections now and every other one as it comes back, and
    /// completes once all are back (at most <paramref name="bound"/>: a connection held for hours does not hold the
    /// retirement for hours; it is still closed when it comes back). The source stays usable for
    /// <see cref="Reactivate"/>. Called under the data source's lock, as <see cref="Reactivate"/> is.
    /// </summary>
    public async Task RetireAsync(TimeSpan bound, TimeProvider time)
    {
        var allBack = NewSignal();
        Volatile.Write(ref _allBack, allBack);
        Volatile.Write(ref _retired, 1);
        if (Held == 0)
        {
            allBack.TrySetResult();
        }

        // Closing the idle connections is the retirement's work, not the switch's: off the data source's lock, which
        // every open takes.
        await Task.Run(ClearIfRetired).ConfigureAwait(false);

        using var timeout = new CancellationTokenSource(bound, time);
        try
        {
            await allBack.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        // Anything a warm-up opened while the pool was being emptied is idle now: closed too.
        ClearIfRetired();
    }

    /// <summary>The login takes its turn again with <paramref name="credential"/> (its new password): new opens come here again.</summary>
    public void Reactivate(Credential credential)
    {
        _credential = credential;
        Volatile.Write(ref _retired, 0);
        // The retirement is over as far as anyone waiting for it is concerned: this pool serves the login again.
        Volatile.Read(ref _allBack).TrySetResult();
    }

    /// <summary>Whether the pool has been disposed.</summary>
    public bool Disposed => Volatile.Read(ref _disposed) == 1;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await Source.DisposeAsync().ConfigureAwait(false);
            // A retirement still waiting for connections has nothing left to wait for.
            Volatile.Read(ref _allBack).TrySetResult();
        }
    }

    /// <summary>Closes the idle connections, unless the login has taken its turn again meanwhile and the pool is serving it.</summary>
    private void ClearIfRetired()
    {
        if (Volatile.Read(ref _retired) == 1 && !Disposed)
        {
            try
            {
                Source.Clear();
            }
            catch (ObjectDisposedException)
            {
                // Disposed meanwhile (the data source is closing): its connections are closed anyway.
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

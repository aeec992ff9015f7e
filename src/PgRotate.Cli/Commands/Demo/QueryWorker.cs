using System.Data.Common;

namespace PgRotate.Cli.Commands.Demo;

/// <summary>
/// One .NET worker: opens a connection from the data source, asks which login it is (<c>session_user</c>: the login
/// that authenticated, while <c>current_user</c> is the group it acts as), closes it, and again, until stopped. Every
/// open or query that throws is a failure; the latency is what the application waits for, open to close.
/// </summary>
internal sealed class QueryWorker(int index, DbDataSource dataSource, LatencyHistogram latencies, SwitchOverTracker? switchOver, TimeProvider time)
{
    private long _ok;
    private long _failed;
    private int _loginChanges;
    private string? _login;

    public int Index => index;
    public long Ok => Interlocked.Read(ref _ok);
    public long Failed => Interlocked.Read(ref _failed);
    public string? Login => Volatile.Read(ref _login);
    public int LoginChanges => Volatile.Read(ref _loginChanges);

    /// <summary>The last failure's message, to show why a run failed (never a password: the driver does not put one in its messages).</summary>
    public string? LastError { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var started = time.GetTimestamp();
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT session_user::text";
                var login = (string)(await command.ExecuteScalarAsync(cancellationToken))!;
                latencies.Record(time.GetElapsedTime(started));
                Interlocked.Increment(ref _ok);
                if (login != _login)
                {
                    if (_login is not null)
                    {
                        Interlocked.Increment(ref _loginChanges);
                    }

                    Volatile.Write(ref _login, login);
                }

                switchOver?.Observed(index, login);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is DbException or InvalidOperationException or TimeoutException)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    // Stopping can break a query mid-flight; that is the demo ending, not a failure of the credential.
                    return;
                }

                Interlocked.Increment(ref _failed);
                LastError = e.Message;
            }
        }
    }
}

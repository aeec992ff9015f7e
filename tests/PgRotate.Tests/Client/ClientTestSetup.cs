using Npgsql;
using PgRotate.Client;
using PgRotate.Contracts;
using PgRotate.Tests.Server;

namespace PgRotate.Tests.Client;

/// <summary>What the client tests share: options for a server, waiting for a data source to reach a version, who a connection is.</summary>
internal static class ClientTestSetup
{
    /// <summary>Short backoff so a client finds a restarted server quickly; the rest as a service would have it.</summary>
    public static PgRotateClientOptions Options(Uri server, string token) => new()
    {
        ServerUrl = server,
        Token = token,
        Secret = RunningServer.Secret,
        MaxBackoff = TimeSpan.FromMilliseconds(500),
    };

    /// <summary>Completes when the data source opens new connections with <paramref name="version"/> or a later one.</summary>
    public static Task ReachesAsync(PgRotateDataSource dataSource, int version, CancellationToken cancellationToken)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(Credential c)
        {
            if (c.Version >= version)
            {
                reached.TrySetResult();
            }
        }

        dataSource.CredentialChanged += OnChanged;
        if (dataSource.CurrentCredential.Version >= version)
        {
            reached.TrySetResult();
        }

        return reached.Task.WaitAsync(cancellationToken).ContinueWith(
            t =>
            {
                dataSource.CredentialChanged -= OnChanged;
                return t;
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default).Unwrap();
    }

    public static async Task<string> SessionUserAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("SELECT session_user", connection);
        return (string)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}

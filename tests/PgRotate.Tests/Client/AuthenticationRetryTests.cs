using Npgsql;
using PgRotate.Client;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Client;

/// <summary>
/// A single secret changes the password of its one login, so the old password stops working at once. A data source
/// that has not heard of the rotation yet gets 28P01 on its next physical connection: with the retry the open fetches
/// the new credential and succeeds; without it the open fails.
/// </summary>
public sealed class AuthenticationRetryTests(PostgresFixture postgres)
{
    [Fact]
    public async Task An_open_after_an_unseen_rotation_of_a_single_secret_succeeds_through_the_retry()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RestartableServer.StartAsync(postgres, "--strategy", "single");
        using var blackHole = new LongPollBlackHole();
        var logs = new RecordingLoggerFactory();
        await using var dataSource = await UnpooledAsync(server, blackHole, retry: true, logs);
        var before = dataSource.CurrentCredential;

        var rotation = await server.RotateAsync();
        await using var connection = await dataSource.OpenConnectionAsync(ct);

        Assert.Equal(rotation.Username, await ClientTestSetup.SessionUserAsync(connection));
        Assert.Equal(before.Username, rotation.Username);
        Assert.Equal(rotation.Version, dataSource.CurrentCredential.Version);
        Assert.Equal(1, logs.Count(5006));
    }

    [Fact]
    public async Task Without_the_retry_the_same_open_fails_with_28P01()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RestartableServer.StartAsync(postgres, "--strategy", "single");
        using var blackHole = new LongPollBlackHole();
        await using var dataSource = await UnpooledAsync(server, blackHole, retry: false, null);
        var before = dataSource.CurrentCredential;

        await server.RotateAsync();
        var e = await Assert.ThrowsAsync<PostgresException>(async () => await dataSource.OpenConnectionAsync(ct));

        Assert.Equal(PostgresErrorCodes.InvalidPassword, e.SqlState);
        Assert.Equal(before.Version, dataSource.CurrentCredential.Version);
    }

    [Fact]
    public async Task The_synchronous_open_is_retried_too()
    {
        await using var server = await RestartableServer.StartAsync(postgres, "--strategy", "single");
        using var blackHole = new LongPollBlackHole();
        await using var dataSource = await UnpooledAsync(server, blackHole, retry: true, null);

        var rotation = await server.RotateAsync();
        using var connection = dataSource.OpenConnection();

        Assert.Equal(rotation.Version, dataSource.CurrentCredential.Version);
        Assert.Equal(System.Data.ConnectionState.Open, connection.State);
    }

    /// <summary>
    /// A data source that hears of rotations only by asking (its long-polls never return), without pooling so every
    /// open is a fresh login, as the first open after a pool emptied would be.
    /// </summary>
    internal static Task<PgRotateDataSource> UnpooledAsync(RestartableServer server, LongPollBlackHole blackHole, bool retry, RecordingLoggerFactory? logs) =>
        server.DataSourceAsync(logs, o =>
        {
            o.HttpHandler = blackHole;
            o.RetryOnAuthenticationFailure = retry;
            o.ConfigureDataSource = builder => builder.ConnectionStringBuilder.Pooling = false;
        });
}

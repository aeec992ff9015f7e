using Npgsql;
using PgRotate.Client;
using PgRotate.Tests.Server;
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
        await using var dataSource = await DataSourceAsync(server, blackHole, retry: true, logs);
        var before = dataSource.CurrentCredential;

        var rotation = await RotateAsync(server);
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
        await using var dataSource = await DataSourceAsync(server, blackHole, retry: false, null);
        var before = dataSource.CurrentCredential;

        await RotateAsync(server);
        var e = await Assert.ThrowsAsync<PostgresException>(async () => await dataSource.OpenConnectionAsync(ct));

        Assert.Equal(PostgresErrorCodes.InvalidPassword, e.SqlState);
        Assert.Equal(before.Version, dataSource.CurrentCredential.Version);
    }

    [Fact]
    public async Task The_synchronous_open_is_retried_too()
    {
        await using var server = await RestartableServer.StartAsync(postgres, "--strategy", "single");
        using var blackHole = new LongPollBlackHole();
        await using var dataSource = await DataSourceAsync(server, blackHole, retry: true, null);

        var rotation = await RotateAsync(server);
        using var connection = dataSource.OpenConnection();

        Assert.Equal(rotation.Version, dataSource.CurrentCredential.Version);
        Assert.Equal(System.Data.ConnectionState.Open, connection.State);
    }

    /// <summary>No pooling: every open is a fresh login, as the first open after a pool emptied would be.</summary>
    private static async Task<PgRotateDataSource> DataSourceAsync(RestartableServer server, HttpMessageHandler handler, bool retry, RecordingLoggerFactory? logs)
    {
        var options = ClientTestSetup.Options(server.Address, await server.Current.TokenAsync("read:orders/app"));
        options.HttpHandler = handler;
        options.RetryOnAuthenticationFailure = retry;
        options.ConfigureDataSource = builder => builder.ConnectionStringBuilder.Pooling = false;
        return await PgRotateDataSource.CreateAsync(options, logs, cancellationToken: TestContext.Current.CancellationToken);
    }

    private static async Task<PgRotate.Contracts.RotationResult> RotateAsync(RestartableServer server)
    {
        var options = ClientTestSetup.Options(server.Address, await server.Current.TokenAsync("rotate:orders/app"));
        using var api = await PgRotateApiClient.CreateAsync(options, cancellationToken: TestContext.Current.CancellationToken);
        return await api.RotateAsync(RunningServer.Secret, cancellationToken: TestContext.Current.CancellationToken);
    }
}

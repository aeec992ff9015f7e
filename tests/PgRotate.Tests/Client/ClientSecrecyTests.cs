using PgRotate.Client;
using PgRotate.Tests.Server;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Client;

/// <summary>What the client logs (its own messages and Npgsql's, through the same logger factory) never holds the token or a password.</summary>
public sealed class ClientSecrecyTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Rotations_a_refused_login_and_an_outage_log_neither_the_token_nor_any_password()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RestartableServer.StartAsync(postgres, "--strategy", "single");
        var token = await server.Current.TokenAsync("read:orders/app", "rotate:orders/app");
        var logs = new RecordingLoggerFactory();
        using var blackHole = new LongPollBlackHole();
        var options = ClientTestSetup.Options(server.Address, token);
        options.HttpHandler = blackHole;
        options.ConfigureDataSource = builder => builder.ConnectionStringBuilder.Pooling = false;
        var passwords = new List<string>();
        await using (var dataSource = await PgRotateDataSource.CreateAsync(options, logs, cancellationToken: ct))
        {
            passwords.Add(dataSource.CurrentCredential.Password);
            using var api = await PgRotateApiClient.CreateAsync(ClientTestSetup.Options(server.Address, token), cancellationToken: ct);
            await api.RotateAsync(RunningServer.Secret, cancellationToken: ct);
            await using (await dataSource.OpenConnectionAsync(ct))
            {
                passwords.Add(dataSource.CurrentCredential.Password);
            }

            await server.StopAsync();
            await Assert.ThrowsAsync<PgRotateApiException>(() => dataSource.Watcher.RefreshAsync(ct));
            await server.StartAgainAsync();
        }

        Assert.Equal(1, logs.Count(5006));
        Assert.Equal(2, passwords.Distinct().Count());
        Assert.All(logs.Entries, entry =>
        {
            Assert.DoesNotContain(token, entry.Message, StringComparison.Ordinal);
            Assert.All(passwords, password => Assert.DoesNotContain(password, entry.Message, StringComparison.Ordinal));
        });
    }
}

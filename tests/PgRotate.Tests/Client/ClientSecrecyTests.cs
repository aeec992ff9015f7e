using PgRotate.Client;
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
        var logs = new RecordingLoggerFactory();
        using var blackHole = new LongPollBlackHole();
        var passwords = new List<string>();
        await using (var dataSource = await AuthenticationRetryTests.UnpooledAsync(server, blackHole, retry: true, logs))
        {
            passwords.Add(dataSource.CurrentCredential.Password);
            await server.RotateAsync();
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
            Assert.DoesNotContain(server.Token, entry.Message, StringComparison.Ordinal);
            Assert.All(passwords, password => Assert.DoesNotContain(password, entry.Message, StringComparison.Ordinal));
        });
    }
}

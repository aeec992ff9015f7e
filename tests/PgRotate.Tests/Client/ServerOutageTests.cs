using PgRotate.Tests.Support;

namespace PgRotate.Tests.Client;

/// <summary>
/// The pgrotate server restarting or down for a while is invisible to queries: the data source keeps the last good
/// credential, warns once, says when the server is back, and picks up rotations made after it returned.
/// </summary>
public sealed class ServerOutageTests(PostgresFixture postgres)
{
    private const int Unreachable = 5001;
    private const int StillUnreachable = 5002;
    private const int Back = 5003;

    [Fact]
    public async Task A_server_restart_on_the_same_port_is_invisible_to_queries_and_a_later_rotation_is_picked_up()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RestartableServer.StartAsync(postgres);
        await using var dataSource = await server.DataSourceAsync();
        await using var workers = new QueryWorkers(dataSource, 8);
        await workers.RunMoreAsync(50, ct);

        await server.StopAsync();
        await workers.RunMoreAsync(50, ct);
        await server.StartAgainAsync();
        var rotation = await server.RotateAsync();
        await ClientTestSetup.ReachesAsync(dataSource, rotation.Version, ct);
        await workers.RunMoreAsync(50, ct);

        Assert.Empty(workers.Failures);
        Assert.Equal(rotation.Username, dataSource.CurrentUsername);
        Assert.True(workers.Logins.ContainsKey(rotation.Username));
    }

    [Fact]
    public async Task A_ten_second_outage_costs_no_query_logs_one_warning_and_recovers()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RestartableServer.StartAsync(postgres);
        var logs = new RecordingLoggerFactory();
        await using var dataSource = await server.DataSourceAsync(logs);
        var held = dataSource.CurrentCredential;
        await using var workers = new QueryWorkers(dataSource, 8);
        await workers.RunMoreAsync(50, ct);

        await server.StopAsync();
        await logs.LoggedAsync(Unreachable, ct);
        var during = workers.Queries;
        // The outage itself: ten seconds of a server that is not there, with the client retrying every 0.25-0.5 s.
        await Task.Delay(TimeSpan.FromSeconds(10), ct);
        var afterOutage = workers.Queries;
        await server.StartAgainAsync();
        await logs.LoggedAsync(Back, ct);
        var rotation = await server.RotateAsync();
        await ClientTestSetup.ReachesAsync(dataSource, rotation.Version, ct);

        Assert.Empty(workers.Failures);
        Assert.True(afterOutage > during, "queries went on during the outage");
        Assert.Equal(1, logs.Count(Unreachable));
        Assert.True(logs.Count(StillUnreachable) > 1, "the client kept retrying during the outage");
        Assert.Equal(1, logs.Count(Back));
        Assert.Equal(held.Version + 1, dataSource.CurrentCredential.Version);
    }
}

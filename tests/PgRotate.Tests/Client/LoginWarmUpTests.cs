using Npgsql;
using PgRotate.Client;
using PgRotate.Contracts;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Client;

/// <summary>
/// A login switch prepares the new login before new opens move to it: its connections are open already, and a login
/// taking its turn again reuses its inner source (with none of its old sessions).
/// </summary>
public sealed class LoginWarmUpTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_login_switch_opens_as_many_connections_of_the_new_login_as_the_old_one_has_out_before_moving_new_opens()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RestartableServer.StartAsync(postgres);
        // The longest warm-up allowed, so that a slow machine still finishes it before the switch.
        await using var dataSource = await server.DataSourceAsync(configure: o => o.LoginWarmUpTimeout = PgRotateClientOptions.MaxLoginWarmUpTimeout);
        var held = new List<NpgsqlConnection>();
        for (var i = 0; i < 3; i++)
        {
            held.Add(await dataSource.OpenConnectionAsync(ct));
        }

        var rotation = await server.RotateAsync();
        await ClientTestSetup.ReachesAsync(dataSource, rotation.Version, ct);

        // Nothing has opened a connection through the data source since the switch: these are the warm-up's, idle in the pool.
        Assert.Equal(3, await SessionsOfAsync(rotation.Username, ct));
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            Assert.Equal(rotation.Username, await ClientTestSetup.SessionUserAsync(connection));
        }

        Assert.Equal(3, await SessionsOfAsync(rotation.Username, ct));
        foreach (var connection in held)
        {
            await connection.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_login_taking_its_turn_again_reuses_its_inner_source_but_none_of_its_earlier_sessions()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RestartableServer.StartAsync(postgres);
        await using var dataSource = await server.DataSourceAsync();
        var first = dataSource.CurrentUsername;
        var inner = dataSource.CurrentInnerSource;
        int earlierSession;
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            earlierSession = await BackendPidAsync(connection, ct);
        }

        var away = await server.RotateAsync();
        await ClientTestSetup.ReachesAsync(dataSource, away.Version, ct);
        // Forced: the first login is still inside its grace from the rotation before.
        var back = await server.RotateAsync(new RotateRequest(Force: true));
        await ClientTestSetup.ReachesAsync(dataSource, back.Version, ct);

        Assert.Equal(first, back.Username);
        Assert.Same(inner, dataSource.CurrentInnerSource);
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            Assert.Equal(first, await ClientTestSetup.SessionUserAsync(connection));
            Assert.NotEqual(earlierSession, await BackendPidAsync(connection, ct));
        }
    }

    [Fact]
    public async Task Without_warm_up_time_a_login_switch_moves_new_opens_at_once_and_opens_nothing_ahead()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RestartableServer.StartAsync(postgres);
        await using var dataSource = await server.DataSourceAsync(configure: o => o.LoginWarmUpTimeout = TimeSpan.Zero);
        await using var held = await dataSource.OpenConnectionAsync(ct);

        var rotation = await server.RotateAsync();
        await ClientTestSetup.ReachesAsync(dataSource, rotation.Version, ct);

        Assert.Equal(0, await SessionsOfAsync(rotation.Username, ct));
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        Assert.Equal(rotation.Username, await ClientTestSetup.SessionUserAsync(connection));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(31)]
    public void A_warm_up_time_outside_0_to_30_s_is_refused(int seconds)
    {
        var options = new PgRotateClientOptions
        {
            ServerUrl = new Uri("http://127.0.0.1:8443"),
            Token = "t",
            Secret = "orders/app",
            LoginWarmUpTimeout = TimeSpan.FromSeconds(seconds),
        };

        Assert.Equal($"LoginWarmUpTimeout must be from 0 to 30 s, not {options.LoginWarmUpTimeout}", Assert.Single(options.Validate()));
    }

    private async Task<long> SessionsOfAsync(string login, CancellationToken cancellationToken)
    {
        await using var connection = await postgres.Cluster.OpenSuperuserConnectionAsync(cancellationToken: cancellationToken);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE usename = $1", connection);
        command.Parameters.AddWithValue(login);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<int> BackendPidAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}

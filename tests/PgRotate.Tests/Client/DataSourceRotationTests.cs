using PgRotate.Contracts;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Client;

/// <summary>The data source follows rotations of an alternating secret: new opens go to the new login, with no failed query.</summary>
public sealed class DataSourceRotationTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Workers_never_fail_while_the_secret_is_rotated_repeatedly_and_each_rotation_switches_the_login()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RestartableServer.StartAsync(postgres);
        await using var dataSource = await server.DataSourceAsync();
        var logins = new List<string> { dataSource.CurrentUsername };

        await using (var workers = new QueryWorkers(dataSource, 16))
        {
            await workers.RunMoreAsync(100, ct);
            for (var i = 0; i < 6; i++)
            {
                // Forced: the login being rotated is still inside its grace from the rotation before.
                var rotation = await server.RotateAsync(new RotateRequest(Force: true));
                await ClientTestSetup.ReachesAsync(dataSource, rotation.Version, ct);
                logins.Add(dataSource.CurrentUsername);
                Assert.Equal(rotation.Username, dataSource.CurrentUsername);
                await using (var connection = await dataSource.OpenConnectionAsync(ct))
                {
                    Assert.Equal(rotation.Username, await ClientTestSetup.SessionUserAsync(connection));
                }

                await workers.RunMoreAsync(100, ct);
            }

            Assert.Empty(workers.Failures);
            Assert.Equal(2, workers.Logins.Count);
        }

        Assert.All(logins.Zip(logins.Skip(1)), pair => Assert.NotEqual(pair.First, pair.Second));
    }

    [Fact]
    public async Task The_previous_logins_pool_is_disposed_once_its_connection_is_back()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RestartableServer.StartAsync(postgres);
        await using var dataSource = await server.DataSourceAsync();
        var held = await dataSource.OpenConnectionAsync(ct);
        var before = dataSource.CurrentUsername;

        var rotation = await server.RotateAsync();
        await ClientTestSetup.ReachesAsync(dataSource, rotation.Version, ct);
        var disposed = dataSource.RetiredPoolsDisposedAsync();

        // The connection opened before the rotation still works as the old login, and holds its pool open.
        Assert.Equal(before, await ClientTestSetup.SessionUserAsync(held));
        Assert.False(disposed.IsCompleted);
        await held.DisposeAsync();
        await disposed.WaitAsync(ct);
    }

    [Fact]
    public async Task CreateConnection_returns_an_npgsql_connection_of_the_current_login()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RestartableServer.StartAsync(postgres);
        await using var dataSource = await server.DataSourceAsync();
        var rotation = await server.RotateAsync();
        await ClientTestSetup.ReachesAsync(dataSource, rotation.Version, ct);

        await using var connection = ((System.Data.Common.DbDataSource)dataSource).CreateConnection();
        await connection.OpenAsync(ct);

        var npgsql = Assert.IsType<Npgsql.NpgsqlConnection>(connection);
        Assert.Equal(rotation.Username, await ClientTestSetup.SessionUserAsync(npgsql));
        Assert.DoesNotContain("Password", dataSource.ConnectionString, StringComparison.OrdinalIgnoreCase);
    }
}

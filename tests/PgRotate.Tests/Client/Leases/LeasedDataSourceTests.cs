using Npgsql;
using PgRotate.Client;
using PgRotate.Postgres;
using PgRotate.Server;
using PgRotate.Tests.Leases;
using PgRotate.Tests.Server;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Client.Leases;

/// <summary>
/// A data source on a lease of its own (<see cref="PgRotateClientOptions.UseLease"/>) against a real server and the
/// fixture's PostgreSQL, on the real clock: the lease's VALID UNTIL is PostgreSQL's to enforce.
/// </summary>
public sealed class LeasedDataSourceTests(PostgresFixture postgres)
{
    private const int Renewed = 5010;
    private const int Revoked = 5012;
    private const int RenewFailed = 5014;
    private const int KeptAgain = 5016;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Workers_query_without_a_failure_across_renewals_and_a_move_to_a_fresh_lease_whose_old_login_is_dropped()
    {
        // 3 s leases renewable to 8 s: renewed at about 2 s and 4 s, replaced at about 6 s (a renewal then would be cut at 8 s).
        using var leases = await LeaseSandbox.CreateAsync(postgres, addOptions: ["--default-ttl", "3s", "--max-ttl", "8s"]);
        await using var server = await RunningServer.OpenAsync(leases.Cli);
        var logs = new RecordingLoggerFactory();
        await using var dataSource = await LeasedAsync(server, leases, logs);
        var first = dataSource.Lease!;

        await using (var workers = new QueryWorkers(dataSource, 4))
        {
            await ClientTestSetup.ReachesAsync(dataSource, 2, Ct);
            await logs.LoggedAsync(Revoked, Ct);
            await workers.RunMoreAsync(20, Ct);
            Assert.Empty(workers.Failures);
            Assert.Contains(first.Username, workers.Logins.Keys);
            Assert.Contains(dataSource.CurrentUsername, workers.Logins.Keys);
        }

        Assert.True(logs.Count(Renewed) >= 2, $"renewals before the move: {logs.Count(Renewed)}");
        Assert.NotEqual(first.Username, dataSource.CurrentUsername);
        Assert.NotEqual(first.LeaseId, dataSource.Lease!.LeaseId);
        Assert.False(await RoleExistsAsync(first.Username));
        Assert.True(await RoleExistsAsync(dataSource.CurrentUsername));
    }

    [Fact]
    public async Task Dispose_revokes_the_lease_and_its_login_is_dropped()
    {
        using var leases = await LeaseSandbox.CreateAsync(postgres);
        await using var server = await RunningServer.OpenAsync(leases.Cli);
        var dataSource = await LeasedAsync(server, leases);
        var login = dataSource.CurrentUsername;
        await using (var connection = await dataSource.OpenConnectionAsync(Ct))
        {
            Assert.Equal(login, await ClientTestSetup.SessionUserAsync(connection));
        }

        Assert.True(await RoleExistsAsync(login));
        await dataSource.DisposeAsync();

        Assert.False(await RoleExistsAsync(login));
    }

    [Fact]
    public async Task A_renewal_while_the_server_is_down_is_retried_until_it_answers_and_the_same_lease_is_kept()
    {
        // 8 s leases: the renewal is due after about 5 s; the server is stopped before that and back once it failed.
        using var leases = await LeaseSandbox.CreateAsync(postgres, addOptions: ["--default-ttl", "8s", "--max-ttl", "1h"]);
        var server = await RunningServer.OpenAsync(leases.Cli);
        var port = server.Address.Port;
        var logs = new RecordingLoggerFactory();
        await using var dataSource = await LeasedAsync(server, leases, logs);
        var lease = dataSource.Lease!;
        await using var workers = new QueryWorkers(dataSource, 2);
        await workers.RunMoreAsync(5, Ct);

        await server.StopAsync();
        await logs.LoggedAsync(RenewFailed, Ct);
        await using var again = await RunningServer.OpenAsync(leases.Cli, s => s with { Listen = ListenAddress.Parse($"http://127.0.0.1:{port}", tls: false) });
        await logs.LoggedAsync(KeptAgain, Ct);
        await workers.RunMoreAsync(5, Ct);

        Assert.Equal(lease.LeaseId, dataSource.Lease!.LeaseId);
        Assert.Equal(lease.Username, dataSource.CurrentUsername);
        Assert.True(logs.Count(Renewed) >= 1);
        Assert.Empty(workers.Failures);
        Assert.True(await LeaseValidUntilAsync(lease.Username) > lease.ExpiresAt.UtcDateTime, "VALID UNTIL was extended");
    }

    [Fact]
    public async Task An_open_refused_because_the_lease_was_revoked_elsewhere_gets_a_fresh_lease_and_succeeds()
    {
        using var leases = await LeaseSandbox.CreateAsync(postgres);
        await using var server = await RunningServer.OpenAsync(leases.Cli);
        // No pool: every open is a fresh login, so the revoked login is refused at the next open.
        await using var dataSource = await LeasedAsync(server, leases, configure: o => o.ConfigureDataSource = b => b.ConnectionStringBuilder.Pooling = false);
        var first = dataSource.Lease!;
        using (var api = await PgRotateApiClient.CreateAsync(ClientTestSetup.Options(server.Address, await LeaseTokenAsync(server, leases)), cancellationToken: Ct))
        {
            await api.RevokeLeaseAsync(first.LeaseId, Ct);
        }

        await using var connection = await dataSource.OpenConnectionAsync(Ct);

        var login = await ClientTestSetup.SessionUserAsync(connection);
        Assert.NotEqual(first.Username, login);
        Assert.Equal(dataSource.Lease!.Username, login);
    }

    private static Task<string> LeaseTokenAsync(RunningServer server, LeaseSandbox leases) => server.TokenAsync("lease:" + leases.Secret);

    private static async Task<PgRotateDataSource> LeasedAsync(
        RunningServer server, LeaseSandbox leases, RecordingLoggerFactory? logs = null, Action<PgRotateClientOptions>? configure = null)
    {
        var options = ClientTestSetup.Options(server.Address, await LeaseTokenAsync(server, leases));
        options.Secret = leases.Secret;
        options.UseLease = true;
        configure?.Invoke(options);
        return await PgRotateDataSource.CreateAsync(options, logs, cancellationToken: Ct);
    }

    private async Task<bool> RoleExistsAsync(string role) =>
        await postgres.ScalarAsync<long>($"SELECT count(*) FROM pg_roles WHERE rolname = {Sql.Literal(role)}") == 1;

    private async Task<DateTime> LeaseValidUntilAsync(string role) =>
        (await postgres.ScalarAsync<DateTime>($"SELECT rolvaliduntil FROM pg_roles WHERE rolname = {Sql.Literal(role)}")).ToUniversalTime();
}

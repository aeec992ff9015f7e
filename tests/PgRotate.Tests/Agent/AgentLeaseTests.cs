using PgRotate.Postgres;
using PgRotate.Server;
using PgRotate.Tests.Leases;
using PgRotate.Tests.Server;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Agent;

/// <summary>
/// <c>pgrotate agent --lease</c> on a dynamic secret, against a real server and the fixture's PostgreSQL on the real
/// clock (the lease's VALID UNTIL is PostgreSQL's to enforce, so the TTLs are short): the agent's own lease rendered,
/// renewed, replaced before its maximum, the old one revoked after the grace, and its lease revoked when it stops.
/// Each step is awaited on the agent's own log line, never on a sleep.
/// </summary>
public sealed class AgentLeaseTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_agent_renders_its_own_lease_renews_it_moves_to_a_fresh_one_before_the_maximum_and_revokes_it_on_exit()
    {
        // 3 s leases renewable to 8 s: renewed at about 2 s and 4 s, replaced at about 6 s (a renewal then would be cut at 8 s).
        using var leases = await LeaseSandbox.CreateAsync(postgres, addOptions: ["--default-ttl", "3s", "--max-ttl", "8s"]);
        await using var server = await RunningServer.OpenAsync(leases.Cli);
        var path = AgentCommandTests.PathIn(server, "pg_service.conf");
        var libpq = new Dictionary<string, string> { ["PGSERVICEFILE"] = path, ["PGSERVICE"] = leases.Secret.Replace('/', '_') };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var (log, errors) = (new LogLines(), new LogLines());
        var agent = AgentCommandTests.RunAgentAsync(server, await server.TokenAsync("lease:" + leases.Secret), log, errors, stop.Token,
            "--server", server.Address.ToString(), "--render", $"{leases.Secret}:service:{path}", "--lease", "--lease-grace", "1s");

        var firstLogin = LoginOf(await log.WaitForAsync(l => l.StartsWith($"rendered {path}: {leases.Secret} version 1, login ", StringComparison.Ordinal)));
        var firstFile = await File.ReadAllTextAsync(path, Ct);
        Assert.Equal(firstLogin, await LibpqClient.SessionUserAsync(libpq));
        var issuedUntil = await ValidUntilAsync(firstLogin);

        await log.WaitForAsync(l => l.Contains($"(login {firstLogin}) renewed until", StringComparison.Ordinal));
        Assert.Equal(firstFile, await File.ReadAllTextAsync(path, Ct));
        Assert.True(await ValidUntilAsync(firstLogin) > issuedUntil, "the renewal moved VALID UNTIL");

        var moved = await log.WaitForAsync(l => l.StartsWith($"rendered {path}: {leases.Secret} version 2, login ", StringComparison.Ordinal));
        var secondLogin = LoginOf(moved);
        Assert.NotEqual(firstLogin, secondLogin);
        Assert.NotEqual(firstFile, await File.ReadAllTextAsync(path, Ct));
        Assert.Equal(secondLogin, await LibpqClient.SessionUserAsync(libpq));
        var revokedOld = await log.WaitForAsync(l => l.EndsWith($"revoked (login {firstLogin} dropped)", StringComparison.Ordinal));
        Assert.False(await leases.RoleExistsAsync(firstLogin));
        // Revoked after the fresh lease was rendered, not before: clients that read the file had the grace to move.
        Assert.True(log.Lines.ToList().IndexOf(revokedOld) > log.Lines.ToList().IndexOf(moved));

        await stop.CancelAsync();
        Assert.Equal(0, await agent);
        Assert.Contains(log.Lines, l => l.EndsWith($"revoked (login {secondLogin} dropped)", StringComparison.Ordinal));
        Assert.False(await leases.RoleExistsAsync(secondLogin));
        Assert.Empty(await leases.LeaseRolesAsync());
        Assert.True(errors.Lines.Count == 0, errors.ToString());
    }

    [Fact]
    public async Task While_the_server_is_down_the_file_stays_and_the_renewal_is_retried_until_the_same_lease_is_renewed()
    {
        // 8 s leases: the renewal is due after about 5 s; the server is stopped before that and back once it failed.
        using var leases = await LeaseSandbox.CreateAsync(postgres, addOptions: ["--default-ttl", "8s", "--max-ttl", "1h"]);
        var server = await RunningServer.OpenAsync(leases.Cli);
        var port = server.Address.Port;
        var path = AgentCommandTests.PathIn(server, "pg_service.conf");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var (log, errors) = (new LogLines(), new LogLines());
        var agent = AgentCommandTests.RunAgentAsync(server, await server.TokenAsync("lease:" + leases.Secret), log, errors, stop.Token,
            "--server", server.Address.ToString(), "--render", $"{leases.Secret}:service:{path}", "--lease");
        var login = LoginOf(await log.WaitForAsync(l => l.StartsWith($"rendered {path}: {leases.Secret} version 1, login ", StringComparison.Ordinal)));
        var rendered = await File.ReadAllTextAsync(path, Ct);

        await server.StopAsync();
        var warning = await errors.WaitForAsync(l => l.StartsWith("pgrotate: warning: ", StringComparison.Ordinal));
        Assert.Contains("could not renew lease", warning);
        Assert.False(agent.IsCompleted, errors.ToString());
        Assert.Equal(rendered, await File.ReadAllTextAsync(path, Ct));

        await using var again = await RunningServer.OpenAsync(leases.Cli, s => s with { Listen = ListenAddress.Parse($"http://127.0.0.1:{port}", tls: false) });
        await log.WaitForAsync(l => l.Contains("the pgrotate server answers again; lease", StringComparison.Ordinal) && l.Contains($"(login {login})", StringComparison.Ordinal));
        Assert.Equal(rendered, await File.ReadAllTextAsync(path, Ct));
        Assert.DoesNotContain(log.Lines, l => l.Contains(" version 2,", StringComparison.Ordinal));

        await stop.CancelAsync();
        Assert.Equal(0, await agent);
        Assert.False(await leases.RoleExistsAsync(login));
    }

    [Fact]
    public async Task Once_on_a_lease_from_the_config_file_renders_a_working_login_and_leaves_the_lease_to_its_expiry()
    {
        using var leases = await LeaseSandbox.CreateAsync(postgres);
        await using var server = await RunningServer.OpenAsync(leases.Cli);
        var path = AgentCommandTests.PathIn(server, "db.env");
        var tokenFile = AgentCommandTests.PathIn(server, "agent.token");
        await File.WriteAllTextAsync(tokenFile, await server.TokenAsync("lease:" + leases.Secret), Ct);
        var config = AgentCommandTests.PathIn(server, "agent.json");
        await File.WriteAllTextAsync(config,
            $$"""{"server": "{{server.Address}}", "tokenFile": "{{tokenFile}}", "render": ["{{leases.Secret}}:service:{{path}}"], "leaseSecrets": ["{{leases.Secret}}"], "leaseTtl": "10m"}""", Ct);

        var (exit, log, errors) = await AgentCommandTests.RunAgentAsync(server, token: null, Ct, "--config", config, "--once");

        Assert.True(exit == 0, errors.ToString());
        var login = LoginOf(log.Lines.Single(l => l.StartsWith($"rendered {path}:", StringComparison.Ordinal)));
        Assert.Contains(log.Lines, l => l.Contains($"(login {login}) is left to its expiry", StringComparison.Ordinal));
        Assert.True(await leases.RoleExistsAsync(login), "--once does not revoke its lease");
        var lease = Assert.Single(await leases.ListAsync());
        Assert.Equal(login, lease.Role);
        Assert.InRange(lease.ExpiresAt - lease.IssuedAt, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(11));
        Assert.Equal(login, await LibpqClient.SessionUserAsync(new Dictionary<string, string> { ["PGSERVICEFILE"] = path, ["PGSERVICE"] = leases.Secret.Replace('/', '_') }));
    }

    [Fact]
    public async Task A_dynamic_secret_without_lease_is_one_error_line_that_says_to_use_lease()
    {
        using var leases = await LeaseSandbox.CreateAsync(postgres);
        await using var server = await RunningServer.OpenAsync(leases.Cli);
        var path = AgentCommandTests.PathIn(server, "pg_service.conf");

        var (exit, _, errors) = await AgentCommandTests.RunAgentAsync(server, await server.TokenAsync("read:" + leases.Secret), Ct,
            "--server", server.Address.ToString(), "--render", $"{leases.Secret}:service:{path}");

        Assert.Equal(12, exit);
        var line = Assert.Single(errors.Lines, l => l.Length > 0);
        Assert.StartsWith($"pgrotate: secret {leases.Secret} is dynamic", line);
        Assert.Contains("--lease", line);
        Assert.False(File.Exists(path));
        Assert.Empty(await leases.LeaseRolesAsync());
    }

    private static string LoginOf(string renderedLine) => renderedLine[(renderedLine.LastIndexOf(' ') + 1)..];

    private async Task<DateTime> ValidUntilAsync(string role) =>
        (await postgres.ScalarAsync<DateTime>($"SELECT rolvaliduntil FROM pg_roles WHERE rolname = {Sql.Literal(role)}")).ToUniversalTime();
}

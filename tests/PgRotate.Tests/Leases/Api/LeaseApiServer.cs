using System.Text.Json;
using PgRotate.Contracts;
using PgRotate.Postgres;
using PgRotate.Server;
using PgRotate.Tests.Server;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Leases.Api;

/// <summary>
/// A real server over a <see cref="LeaseSandbox"/>'s store (a dynamic secret on a non-superuser rotator), with an
/// alternating secret beside it (<see cref="StaticSecret"/>, rotated every 7 days) on the same target. The lease gauges count on every scrape.
/// </summary>
internal sealed class LeaseApiServer : IAsyncDisposable
{
    private LeaseApiServer(LeaseSandbox leases, RunningServer server, string staticSecret)
    {
        Leases = leases;
        Server = server;
        StaticSecret = staticSecret;
    }

    public LeaseSandbox Leases { get; }
    public RunningServer Server { get; }
    public string Secret => Leases.Secret;
    public string StaticSecret { get; }
    public PostgresFixture Postgres => Leases.Postgres;

    public static async Task<LeaseApiServer> StartAsync(PostgresFixture postgres, Func<ServerSettings, ServerSettings>? configure = null, params string[] addOptions)
    {
        var leases = await LeaseSandbox.CreateAsync(postgres, addOptions: addOptions);
        var staticSecret = "static/" + Unique.Name("app").Replace('_', '-');
        (await leases.Cli.RunAsync("secret", "add", staticSecret, "--target", leases.Cli.TargetName, "--group", Unique.Name("app"), "--every", "7d")).Ok();
        var server = await RunningServer.OpenAsync(leases.Cli, settings => (configure?.Invoke(settings) ?? settings) with { LeaseGaugeRefresh = TimeSpan.Zero });
        return new LeaseApiServer(leases, server, staticSecret);
    }

    /// <summary><c>POST /v1/leases</c> with this body; the response is the caller's.</summary>
    public Task<HttpResponseMessage> IssueAsync(string token, string json) => Server.PostAsync("/v1/leases", token, json);

    /// <summary>An issue that must succeed, parsed.</summary>
    public async Task<LeaseCredential> IssuedAsync(string token, string? ttl = null)
    {
        using var response = await IssueAsync(token, JsonSerializer.Serialize(new { secret = Secret, ttl }));
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return PgRotateJson.Deserialize<LeaseCredential>(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
    }

    public static async Task<T> ReadAsync<T>(HttpResponseMessage response) =>
        PgRotateJson.Deserialize<T>(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;

    public async Task<DateTime> ValidUntilAsync(string role) =>
        (await Postgres.ScalarAsync<DateTime>($"SELECT rolvaliduntil FROM pg_roles WHERE rolname = {Sql.Literal(role)}")).ToUniversalTime();

    /// <summary>How many roles are members of the dynamic secret's group: its leases' logins.</summary>
    public Task<long> LeaseRoleCountAsync() =>
        Postgres.ScalarAsync<long>($"SELECT count(*) FROM pg_auth_members WHERE roleid = {Sql.Literal(Leases.Group)}::regrole");

    /// <summary>The audit log's actions for one secret, oldest first, as "action actor".</summary>
    public async Task<IReadOnlyList<string>> AuditAsync(string secret) =>
        [.. (await Server.Store.Audit.ListAsync(0, 10_000, TestContext.Current.CancellationToken))
            .Where(e => e.Record.Secret == secret).Select(e => $"{e.Record.Action} {e.Record.Actor}")];

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

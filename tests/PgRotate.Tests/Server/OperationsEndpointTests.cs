using System.Net;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Server;

/// <summary>Health, readiness, metrics, the OpenAPI document and the audit log.</summary>
[Collection(ServerMetricsCollection.Name)]
public sealed class OperationsEndpointTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Healthz_is_ok_while_the_store_is_readable()
    {
        await using var server = await RunningServer.StartAsync(postgres);

        using var response = await server.GetAsync("/healthz", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", (await RunningServer.JsonAsync(response)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Readyz_is_ok_when_every_target_answers_and_503_naming_the_one_that_does_not()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        using var ready = await server.GetAsync("/readyz", null);
        var unreachable = Unique.Name("gone").Replace('_', '-');
        (await server.Sandbox.RunWithInputAsync("x\n", "target", "add", unreachable, "--conn", "Host=127.0.0.1;Port=1;Database=postgres;Username=postgres", "--password-stdin", "--no-verify")).Ok();

        using var notReady = await server.GetAsync("/readyz", null);

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.True((await RunningServer.JsonAsync(ready)).GetProperty("targets").EnumerateArray().Single().GetProperty("reachable").GetBoolean());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        var targets = (await RunningServer.JsonAsync(notReady)).GetProperty("targets").EnumerateArray().ToList();
        Assert.False(targets.Single(t => t.GetProperty("name").GetString() == unreachable).GetProperty("reachable").GetBoolean());
        Assert.True(targets.Single(t => t.GetProperty("name").GetString() == server.Sandbox.TargetName).GetProperty("reachable").GetBoolean());
    }

    [Fact]
    public async Task Metrics_are_prometheus_text_with_every_instrument()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("admin:*");
        (await server.PostAsync("/v1/secrets/orders/app/rotate", token)).Dispose();
        (await server.GetAsync("/v1/secrets/orders/app", token)).Dispose();
        (await server.GetAsync("/v1/secrets", "pgr_wrong")).Dispose();
        (await server.Sandbox.RunAsync("secret", "update", RunningServer.Secret, "--every", "30d")).Ok();
        (await server.GetAsync("/v1/secrets", token)).Dispose();

        using var response = await server.GetAsync("/metrics", null);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Matches(@"(?m)^pgrotate_rotations_total\{[^}]*outcome=""succeeded""[^}]*\} 1$", text);
        Assert.Matches(@"(?m)^pgrotate_rotation_duration_seconds_bucket\{", text);
        Assert.Matches(@"(?m)^pgrotate_credential_reads_total\{[^}]*stage=""current""[^}]*\} 1$", text);
        Assert.Matches(@"(?m)^pgrotate_watches_open\{[^}]*\} 0$", text);
        Assert.Matches(@"(?m)^pgrotate_secret_next_rotation_seconds\{[^}]*secret=""orders/app""[^}]*\} \d", text);
        Assert.Matches(@"(?m)^pgrotate_auth_failures_total\{[^}]*reason=""malformed""[^}]*\} 1$", text);
    }

    [Fact]
    public async Task The_openapi_document_lists_the_v1_endpoints()
    {
        await using var server = await RunningServer.StartAsync(postgres);

        using var response = await server.GetAsync("/openapi/v1.json", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var paths = (await RunningServer.JsonAsync(response)).GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/v1/secrets", paths);
        Assert.Contains(paths, p => p.StartsWith("/v1/secrets/{", StringComparison.Ordinal));
        Assert.Contains("/v1/audit", paths);
        Assert.Contains("/healthz", paths);
    }

    [Fact]
    public async Task The_audit_log_is_for_admin_of_everything_only()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var admin = await server.TokenAsync("admin:*");
        var orders = await server.TokenAsync("admin:orders/*");

        using var allowed = await server.GetAsync("/v1/audit?limit=10", admin);
        using var refused = await server.GetAsync("/v1/audit", orders);
        using var badLimit = await server.GetAsync("/v1/audit?limit=0", admin);

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(System.Text.Json.JsonValueKind.Array, (await RunningServer.JsonAsync(allowed)).ValueKind);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("forbidden", await RunningServer.ErrorCodeAsync(refused));
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
    }

    /// <summary>Needs each store's audit log (store.Audit): until it records, the log stays empty and this test fails.</summary>
    [Fact]
    public async Task A_credential_read_and_a_rotation_are_in_the_audit_log_without_the_password()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var admin = await server.TokenAsync("admin:*");
        using var read = await server.GetAsync("/v1/secrets/orders/app", admin);
        var password = (await RunningServer.JsonAsync(read)).GetProperty("password").GetString()!;
        (await server.PostAsync("/v1/secrets/orders/app/rotate", admin)).Dispose();

        using var audit = await server.GetAsync("/v1/audit", admin);
        var body = await audit.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var actions = (await RunningServer.JsonAsync(audit)).EnumerateArray().Select(e => e.GetProperty("action").GetString()).ToList();

        Assert.Contains("credential.read", actions);
        Assert.Contains("rotation.finished", actions);
        Assert.DoesNotContain(password, body);
    }
}

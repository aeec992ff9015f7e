using System.Net;
using System.Text;
using System.Text.Json;
using PgRotate.Contracts;
using PgRotate.Tests.Leases.Api;
using PgRotate.Tests.Server;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Vault;

/// <summary>
/// The Vault-compatible paths as Vault's API documentation has them: answer shapes, the <c>X-Vault-Token</c> header,
/// Vault's error shape and status codes, the configurable mount and <c>--no-vault</c>.
/// </summary>
public sealed class VaultEndpointTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Creds_answers_vaults_lease_shape_to_a_token_sent_as_x_vault_token()
    {
        await using var api = await LeaseApiServer.StartAsync(postgres);
        var token = await api.Server.TokenAsync("lease:leases/*");

        using var response = await VaultAsync(api, HttpMethod.Get, $"/v1/database/creds/{api.Secret}", token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.ToString());
        var body = await RunningServer.JsonAsync(response);
        Assert.Equal(["request_id", "lease_id", "renewable", "lease_duration", "data", "wrap_info", "warnings", "auth"], body.EnumerateObject().Select(p => p.Name));
        Assert.True(Guid.TryParse(body.GetProperty("request_id").GetString(), out _));
        var lease = Assert.Single(await api.Leases.ListAsync("--secret", api.Secret));
        Assert.Equal($"database/creds/{api.Secret}/{lease.Id}", body.GetProperty("lease_id").GetString());
        Assert.Equal(["username", "password"], body.GetProperty("data").EnumerateObject().Select(p => p.Name));
        Assert.Equal(lease.Role, body.GetProperty("data").GetProperty("username").GetString());
        Assert.Equal("token:", lease.IssuedBy?[..6]);
        Assert.All(new[] { "wrap_info", "warnings", "auth" }, name => Assert.Equal(JsonValueKind.Null, body.GetProperty(name).ValueKind));
    }

    [Fact]
    public async Task Renew_and_revoke_take_the_lease_id_in_the_body_or_the_path_with_put_or_post()
    {
        await using var api = await LeaseApiServer.StartAsync(postgres, addOptions: ["--max-ttl", "2h"]);
        var token = await api.Server.TokenAsync("lease:leases/*");
        var leaseId = await CredsLeaseIdAsync(api, token);

        using var post = await VaultAsync(api, HttpMethod.Post, "/v1/sys/leases/renew", token, new { lease_id = leaseId, increment = "90m" });
        using var capped = await VaultAsync(api, HttpMethod.Put, "/v1/sys/leases/renew/" + leaseId, token, new { increment = 36000 });
        using var revoke = await VaultAsync(api, HttpMethod.Put, "/v1/sys/leases/revoke/" + leaseId, token);
        using var renewRevoked = await VaultAsync(api, HttpMethod.Put, "/v1/sys/leases/renew", token, new { lease_id = leaseId, increment = 60 });

        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        Assert.InRange((await RunningServer.JsonAsync(post)).GetProperty("lease_duration").GetInt64(), 5300, 5400);
        var cappedBody = await RunningServer.JsonAsync(capped);
        Assert.Equal(leaseId, cappedBody.GetProperty("lease_id").GetString());
        Assert.InRange(cappedBody.GetProperty("lease_duration").GetInt64(), 7000, 7200);
        Assert.Contains("capped", Assert.Single(cappedBody.GetProperty("warnings").EnumerateArray()).GetString());
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        var ended = Assert.Single(await api.Leases.ListAsync("--all"));
        Assert.Equal(LeaseStatus.Revoked, ended.Status);
        Assert.False(await api.Leases.RoleExistsAsync(ended.Role));
        Assert.Equal(HttpStatusCode.BadRequest, renewRevoked.StatusCode);
        Assert.NotEmpty(await VaultErrorsAsync(renewRevoked));
    }

    [Fact]
    public async Task Lookup_self_answers_the_token_in_vaults_shape_without_echoing_it()
    {
        await using var api = await LeaseApiServer.StartAsync(postgres);
        var token = await api.Server.TokenAsync(TimeSpan.FromHours(2), "lease:leases/*");

        using var response = await VaultAsync(api, HttpMethod.Get, "/v1/auth/token/lookup-self", token);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(token, text);
        var data = JsonDocument.Parse(text).RootElement.GetProperty("data");
        Assert.Equal("", data.GetProperty("id").GetString());
        Assert.Equal(["lease:leases/*"], data.GetProperty("policies").EnumerateArray().Select(p => p.GetString()));
        Assert.False(data.GetProperty("renewable").GetBoolean());
        Assert.InRange(data.GetProperty("ttl").GetInt64(), 7000, 7200);
        Assert.True(data.GetProperty("expire_time").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(110));
        Assert.Equal("service", data.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(data.GetProperty("accessor").GetString()));
    }

    [Theory]
    [InlineData("GET", "/v1/database/creds/leases/x", null, "NOTOKEN", 403)]
    [InlineData("GET", "/v1/database/creds/leases/x", null, "pgr_wrong", 403)]
    [InlineData("GET", "/v1/auth/token/lookup-self", null, "NOTOKEN", 403)]
    [InlineData("GET", "/v1/database/creds/SECRET", null, "READER", 403)]
    [InlineData("GET", "/v1/database/static-creds/STATIC", null, "LEASER", 403)]
    [InlineData("GET", "/v1/database/creds/leases/unknown", null, "ADMIN", 400)]
    [InlineData("GET", "/v1/database/creds/STATIC", null, "ADMIN", 400)]
    [InlineData("GET", "/v1/database/static-creds/SECRET", null, "ADMIN", 400)]
    [InlineData("GET", "/v1/database/creds/Bad%20Name", null, "ADMIN", 400)]
    [InlineData("PUT", "/v1/sys/leases/renew", """{"lease_id": "nonsense"}""", "ADMIN", 400)]
    [InlineData("PUT", "/v1/sys/leases/renew", """{"lease_id": "database/creds/leases/x/lease_aaaaaaaaaaaaaaaaaaaaaaaa"}""", "ADMIN", 400)]
    [InlineData("PUT", "/v1/sys/leases/renew", """{"lease_id": "LEASE", "increment": true}""", "ADMIN", 400)]
    [InlineData("PUT", "/v1/sys/leases/renew", """{"lease_id": "LEASE", "increment": "soon"}""", "ADMIN", 400)]
    [InlineData("PUT", "/v1/sys/leases/revoke", "not json", "ADMIN", 400)]
    [InlineData("PUT", "/v1/sys/leases/revoke", """{"lease_id": "otherdb/creds/SECRET/lease_aaaaaaaaaaaaaaaaaaaaaaaa"}""", "ADMIN", 400)]
    [InlineData("GET", "/v1/database/config/anything", null, "ADMIN", 404)]
    [InlineData("GET", "/v1/database/creds/leases/../x", null, "ADMIN", 400)]
    public async Task Failures_answer_vaults_error_shape_and_status_and_change_nothing(string method, string path, string? body, string who, int status)
    {
        await using var api = await LeaseApiServer.StartAsync(postgres);
        var tokens = new Dictionary<string, string?>
        {
            ["NOTOKEN"] = null,
            ["pgr_wrong"] = "pgr_wrong",
            ["READER"] = await api.Server.TokenAsync("read:*", "rotate:*"),
            ["LEASER"] = await api.Server.TokenAsync("lease:*"),
            ["ADMIN"] = await api.Server.TokenAsync("admin:*"),
        };
        var leaseId = await CredsLeaseIdAsync(api, tokens["ADMIN"]!);
        var lease = Assert.Single(await api.Leases.ListAsync());
        string Fill(string text) => text.Replace("LEASE", leaseId, StringComparison.Ordinal).Replace("STATIC", api.StaticSecret, StringComparison.Ordinal)
            .Replace("SECRET", api.Secret, StringComparison.Ordinal);

        using var request = new HttpRequestMessage(new HttpMethod(method), Fill(path));
        if (tokens[who] is { } token)
        {
            request.Headers.Add("X-Vault-Token", token);
        }

        if (body is not null)
        {
            request.Content = new StringContent(Fill(body), Encoding.UTF8, "application/json");
        }

        using var response = await api.Server.Http.SendAsync(request, Ct);

        Assert.Equal(status, (int)response.StatusCode);
        var errors = await VaultErrorsAsync(response);
        if (status == 403)
        {
            Assert.Equal(["permission denied"], errors);
        }

        Assert.Equal([(lease.Id, LeaseStatus.Active, lease.ExpiresAt)], (await api.Leases.ListAsync("--all")).Select(l => (l.Id, l.Status, l.ExpiresAt)));
    }

    [Fact]
    public async Task The_mount_is_configurable_and_other_paths_keep_pgrotates_error_shape()
    {
        await using var api = await LeaseApiServer.StartAsync(postgres, settings => settings with { VaultMount = "db/prod" });
        var token = await api.Server.TokenAsync("lease:leases/*");

        using var issued = await VaultAsync(api, HttpMethod.Get, $"/v1/db/prod/creds/{api.Secret}", token);
        using var defaultMount = await VaultAsync(api, HttpMethod.Get, $"/v1/database/creds/{api.Secret}", token);

        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        Assert.StartsWith($"db/prod/creds/{api.Secret}/lease_", (await RunningServer.JsonAsync(issued)).GetProperty("lease_id").GetString());
        Assert.Equal(HttpStatusCode.NotFound, defaultMount.StatusCode);
        Assert.Equal("no_such_endpoint", await RunningServer.ErrorCodeAsync(defaultMount));
    }

    [Fact]
    public async Task No_vault_serves_none_of_the_vault_paths()
    {
        await using var api = await LeaseApiServer.StartAsync(postgres, settings => settings with { VaultMount = null });
        var token = await api.Server.TokenAsync("admin:*");

        foreach (var path in new[] { $"/v1/database/creds/{api.Secret}", $"/v1/database/static-creds/{api.StaticSecret}", "/v1/auth/token/lookup-self" })
        {
            using var response = await VaultAsync(api, HttpMethod.Get, path, token);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("no_such_endpoint", await RunningServer.ErrorCodeAsync(response));
        }

        Assert.Empty(await api.Leases.ListAsync("--all"));
    }

    private static async Task<string> CredsLeaseIdAsync(LeaseApiServer api, string token)
    {
        using var response = await VaultAsync(api, HttpMethod.Get, $"/v1/database/creds/{api.Secret}", token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await RunningServer.JsonAsync(response)).GetProperty("lease_id").GetString()!;
    }

    private static async Task<HttpResponseMessage> VaultAsync(LeaseApiServer api, HttpMethod method, string path, string token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Vault-Token", token);
        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        }

        return await api.Server.Http.SendAsync(request, Ct);
    }

    /// <summary>The <c>errors</c> of Vault's error body, asserting its shape and media type.</summary>
    private static async Task<IReadOnlyList<string>> VaultErrorsAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.ToString());
        var body = await RunningServer.JsonAsync(response);
        Assert.Equal(["errors"], body.EnumerateObject().Select(p => p.Name));
        var errors = body.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.False(string.IsNullOrWhiteSpace(e)));
        return errors;
    }
}

using System.Net;
using Npgsql;
using PgRotate.Contracts;
using PgRotate.Crypto;
using PgRotate.Tests.Server;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Leases.Api;

/// <summary><c>/v1/leases</c>: issue, renew, revoke and list through the server, as a token with <c>lease:</c> may.</summary>
public sealed class LeaseEndpointTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Issue_answers_201_with_a_credential_that_logs_in_its_lease_id_expiry_and_renewable_until()
    {
        await using var api = await LeaseApiServer.StartAsync(postgres);
        var token = await api.Server.TokenAsync("lease:leases/*");

        using var response = await api.IssueAsync(token, $$"""{"secret": "{{api.Secret}}", "ttl": "1h"}""");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var lease = await LeaseApiServer.ReadAsync<LeaseCredential>(response);
        Assert.Equal("/v1/leases/" + lease.LeaseId, response.Headers.Location?.OriginalString);
        Assert.Equal((api.Secret, postgres.Cluster.Port, "postgres"), (lease.Secret, lease.Port, lease.Database));
        Assert.Equal(TimeSpan.FromHours(1), lease.ExpiresAt - lease.IssuedAt);
        Assert.Equal(TimeSpan.FromHours(24), lease.MaxExpiresAt - lease.IssuedAt);
        Assert.Equal(lease.ExpiresAt.UtcDateTime, await api.ValidUntilAsync(lease.Username), TimeSpan.FromMilliseconds(1));
        await using var session = await api.Leases.LoginAsync(lease);
        Assert.Equal(api.Leases.Group, await session.ScalarAsync<string>("SELECT current_user::text"));
    }

    [Fact]
    public async Task A_ttl_above_the_maximum_is_capped_to_it_not_refused()
    {
        await using var api = await LeaseApiServer.StartAsync(postgres, addOptions: ["--max-ttl", "2h"]);
        var token = await api.Server.TokenAsync("lease:leases/*");

        var lease = await api.IssuedAsync(token, "48h");

        Assert.Equal(lease.MaxExpiresAt, lease.ExpiresAt);
        Assert.Equal(TimeSpan.FromHours(2), lease.ExpiresAt - lease.IssuedAt);
    }

    [Fact]
    public async Task Renew_extends_the_logins_valid_until_and_stops_at_the_maximum()
    {
        await using var api = await LeaseApiServer.StartAsync(postgres, addOptions: ["--max-ttl", "2h"]);
        var token = await api.Server.TokenAsync("lease:leases/*");
        var lease = await api.IssuedAsync(token, "5m");

        using var renewedResponse = await api.Server.PostAsync($"/v1/leases/{lease.LeaseId}/renew", token, """{"ttl": "1h"}""");
        var renewed = await LeaseApiServer.ReadAsync<LeaseSummary>(renewedResponse);
        using var cappedResponse = await api.Server.PostAsync($"/v1/leases/{lease.LeaseId}/renew", token, """{"ttl": "5h"}""");
        var capped = await LeaseApiServer.ReadAsync<LeaseSummary>(cappedResponse);

        Assert.Equal(HttpStatusCode.OK, renewedResponse.StatusCode);
        Assert.True(renewed.ExpiresAt > lease.ExpiresAt.AddMinutes(50));
        Assert.Equal(HttpStatusCode.OK, cappedResponse.StatusCode);
        Assert.Equal(lease.MaxExpiresAt, capped.ExpiresAt);
        Assert.Equal(lease.MaxExpiresAt.UtcDateTime, await api.ValidUntilAsync(lease.Username), TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public async Task Delete_revokes_the_lease_ends_its_session_and_drops_its_login()
    {
        await using var api = await LeaseApiServer.StartAsync(postgres);
        var token = await api.Server.TokenAsync("lease:leases/*");
        var lease = await api.IssuedAsync(token);
        await using var session = await api.Leases.LoginAsync(lease);

        using var response = await api.Server.SendAsync(HttpMethod.Delete, "/v1/leases/" + lease.LeaseId, token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var revoked = await LeaseApiServer.ReadAsync<LeaseSummary>(response);
        Assert.Equal((LeaseStatus.Revoked, "revoked"), (revoked.Status, revoked.RevokeReason));
        Assert.False(await api.Leases.RoleExistsAsync(lease.Username));
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => session.ScalarAsync<int>("SELECT 1"));
    }

    [Fact]
    public async Task List_shows_the_leases_a_token_may_manage_with_state_and_expiry_and_never_a_password()
    {
        await using var api = await LeaseApiServer.StartAsync(postgres);
        var leaser = await api.Server.TokenAsync("lease:leases/*");
        var other = await api.Server.TokenAsync("lease:elsewhere/*", "read:*");
        var admin = await api.Server.TokenAsync("admin:*");
        var kept = await api.IssuedAsync(leaser);
        var ended = await api.IssuedAsync(leaser);
        (await api.Server.SendAsync(HttpMethod.Delete, "/v1/leases/" + ended.LeaseId, leaser)).EnsureSuccessStatusCode();

        using var mine = await api.Server.GetAsync("/v1/leases?secret=" + api.Secret, leaser);
        var mineText = await mine.Content.ReadAsStringAsync(Ct);
        using var withEnded = await api.Server.GetAsync("/v1/leases?all=true", admin);
        using var none = await api.Server.GetAsync("/v1/leases", other);

        var listed = Assert.Single(PgRotateJson.Deserialize<List<LeaseSummary>>(mineText)!);
        Assert.Equal((kept.LeaseId, LeaseStatus.Active, kept.ExpiresAt, 0), (listed.Id, listed.Status, listed.ExpiresAt, listed.RevokeAttempts));
        Assert.DoesNotContain(kept.Password, mineText);
        Assert.DoesNotContain("password", mineText, StringComparison.OrdinalIgnoreCase);
        var all = await LeaseApiServer.ReadAsync<List<LeaseSummary>>(withEnded);
        Assert.Equal([(kept.LeaseId, LeaseStatus.Active), (ended.LeaseId, LeaseStatus.Revoked)], all.Where(l => l.Secret == api.Secret).Select(l => (l.Id, l.Status)));
        Assert.Empty(await LeaseApiServer.ReadAsync<List<LeaseSummary>>(none));
    }

    [Fact]
    public async Task A_token_without_lease_on_the_secret_gets_the_same_403_for_an_existing_and_an_unknown_secret_and_the_refusal_is_audited()
    {
        await using var api = await LeaseApiServer.StartAsync(postgres);
        var reader = await api.Server.TokenAsync("read:*", "rotate:*");
        var leaser = await api.Server.TokenAsync("lease:leases/*");
        var lease = await api.IssuedAsync(leaser);

        using var existing = await api.IssueAsync(reader, $$"""{"secret": "{{api.Secret}}"}""");
        using var unknown = await api.IssueAsync(reader, """{"secret": "leases/nothing-here"}""");
        using var renew = await api.Server.PostAsync($"/v1/leases/{lease.LeaseId}/renew", reader);
        using var revoke = await api.Server.SendAsync(HttpMethod.Delete, "/v1/leases/" + lease.LeaseId, reader);

        foreach (var response in new[] { existing, unknown, renew, revoke })
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("forbidden", await RunningServer.ErrorCodeAsync(response));
        }

        Assert.Equal(
            (await existing.Content.ReadAsStringAsync(Ct)).Replace(api.Secret, "NAME", StringComparison.Ordinal),
            (await unknown.Content.ReadAsStringAsync(Ct)).Replace("leases/nothing-here", "NAME", StringComparison.Ordinal));
        Assert.Contains(await api.AuditAsync(api.Secret), a => a.StartsWith("access.denied token:", StringComparison.Ordinal));
        Assert.True(await api.Leases.RoleExistsAsync(lease.Username));
        Assert.Single(await api.Leases.ListAsync("--secret", api.Secret));
    }

    [Theory]
    [InlineData("""{"secret": "SECRET", "ttl": "1x"}""", 400, "invalid_input")]
    [InlineData("""{"secret": "SECRET", "ttl": "0s"}""", 400, "invalid_input")]
    [InlineData("""{"secret": "SECRET", "tll": "1h"}""", 400, "invalid_input")]
    [InlineData("""{"ttl": "1h"}""", 400, "invalid_input")]
    [InlineData("""not json""", 400, "invalid_input")]
    [InlineData("", 400, "invalid_input")]
    [InlineData("""{"secret": "Bad Name"}""", 400, "invalid_input")]
    [InlineData("""{"secret": "leases/unknown"}""", 404, "not_found")]
    [InlineData("""{"secret": "STATIC"}""", 409, "incompatible_state")]
    public async Task Bad_issue_requests_get_the_json_error_shape_and_create_nothing(string body, int status, string code)
    {
        await using var api = await LeaseApiServer.StartAsync(postgres);
        var token = await api.Server.TokenAsync("lease:*");
        var members = await api.LeaseRoleCountAsync();

        using var response = await api.IssueAsync(token, body.Replace("STATIC", api.StaticSecret, StringComparison.Ordinal).Replace("SECRET", api.Secret, StringComparison.Ordinal));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(code, await RunningServer.ErrorCodeAsync(response));
        Assert.Empty(await api.Leases.ListAsync("--all"));
        Assert.Equal(members, await api.LeaseRoleCountAsync());
    }

    [Theory]
    [InlineData("POST", "/v1/leases/ID/renew", """{"ttl": "soon"}""", 400, "invalid_input")]
    [InlineData("POST", "/v1/leases/ID/renew", """{"ttl": "1h", "extra": 1}""", 400, "invalid_input")]
    [InlineData("POST", "/v1/leases/not-a-lease/renew", null, 400, "invalid_input")]
    [InlineData("DELETE", "/v1/leases/not-a-lease", null, 400, "invalid_input")]
    [InlineData("POST", "/v1/leases/lease_aaaaaaaaaaaaaaaaaaaaaaaa/renew", null, 404, "not_found")]
    [InlineData("DELETE", "/v1/leases/lease_aaaaaaaaaaaaaaaaaaaaaaaa", null, 404, "not_found")]
    [InlineData("GET", "/v1/leases?all=maybe", null, 400, "invalid_input")]
    [InlineData("GET", "/v1/leases?secret=Bad%20Name", null, 400, "invalid_input")]
    public async Task Bad_renew_revoke_and_list_requests_get_the_json_error_shape_and_change_nothing(string method, string path, string? body, int status, string code)
    {
        await using var api = await LeaseApiServer.StartAsync(postgres);
        var token = await api.Server.TokenAsync("lease:*");
        var lease = await api.IssuedAsync(token, "10m");

        using var response = await api.Server.SendAsync(new HttpMethod(method), path.Replace("ID", lease.LeaseId, StringComparison.Ordinal), token,
            body is null ? null : new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(code, await RunningServer.ErrorCodeAsync(response));
        var unchanged = Assert.Single(await api.Leases.ListAsync("--all"));
        Assert.Equal((LeaseStatus.Active, lease.ExpiresAt), (unchanged.Status, unchanged.ExpiresAt));
    }

    [Fact]
    public async Task Revoking_the_token_that_issued_a_lease_through_the_api_revokes_the_lease()
    {
        await using var api = await LeaseApiServer.StartAsync(postgres);
        var tokenName = Unique.Name("tok").Replace('_', '-');
        var (text, _) = await new Access.Tokens(api.Server.Store, api.Server.Sandbox.Time).CreateAsync(tokenName, [Access.TokenPolicy.Parse("lease:*")], null, Ct);
        var lease = await api.IssuedAsync(text.Reveal());
        var untouched = await api.IssuedAsync(await api.Server.TokenAsync("lease:*"));

        var output = (await api.Leases.Cli.RunAsync("token", "revoke", tokenName)).Ok();

        Assert.Contains("1 lease(s) it issued revoked", output);
        Assert.False(await api.Leases.RoleExistsAsync(lease.Username));
        var listed = await api.Leases.ListAsync("--all");
        Assert.Equal((LeaseStatus.Revoked, "token_revoked", "token:" + tokenName), listed.Where(l => l.Id == lease.LeaseId).Select(l => (l.Status, l.RevokeReason, l.IssuedBy)).Single());
        Assert.Equal(LeaseStatus.Active, listed.Single(l => l.Id == untouched.LeaseId).Status);
    }

    [Fact]
    public async Task Issue_renew_and_revoke_are_audited_once_each_under_the_token()
    {
        await using var api = await LeaseApiServer.StartAsync(postgres);
        var tokenName = Unique.Name("tok").Replace('_', '-');
        var (text, _) = await new Access.Tokens(api.Server.Store, api.Server.Sandbox.Time).CreateAsync(tokenName, [Access.TokenPolicy.Parse("lease:*")], null, Ct);
        var token = text.Reveal();
        var lease = await api.IssuedAsync(token);
        (await api.Server.PostAsync($"/v1/leases/{lease.LeaseId}/renew", token)).EnsureSuccessStatusCode();
        (await api.Server.SendAsync(HttpMethod.Delete, "/v1/leases/" + lease.LeaseId, token)).EnsureSuccessStatusCode();

        var actor = "token:" + tokenName;
        Assert.Equal([$"lease.issued {actor}", $"lease.renewed {actor}", $"lease.revoked {actor}"],
            (await api.AuditAsync(api.Secret)).Where(a => a.StartsWith("lease.", StringComparison.Ordinal)));
    }
}

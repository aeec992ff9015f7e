using System.Net;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Server;

/// <summary>/v1/secrets over real HTTP: the list, a credential with its ETag, history, and rotation.</summary>
public sealed class SecretEndpointTests(PostgresFixture postgres)
{
    [Fact]
    public async Task The_list_shows_only_the_secrets_the_token_may_read_and_never_a_password()
    {
        await using var server = await RunningServer.StartAsync(postgres, null, "orders/app", "orders/worker", "billing/app");
        var token = await server.TokenAsync("read:orders/*");

        using var response = await server.GetAsync("/v1/secrets", token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var names = (await RunningServer.JsonAsync(response)).EnumerateArray().Select(s => s.GetProperty("name").GetString()).Order().ToList();
        Assert.Equal(["orders/app", "orders/worker"], names);
        Assert.DoesNotContain("password", body, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_credential_is_the_current_one_with_its_version_as_etag_and_logs_in()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("read:orders/app");

        using var response = await server.GetAsync("/v1/secrets/orders/app", token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var credential = await RunningServer.JsonAsync(response);
        Assert.Equal(await server.CurrentVersionAsync(), credential.GetProperty("version").GetInt32());
        Assert.Equal($"\"{credential.GetProperty("version").GetInt32()}\"", response.Headers.ETag?.Tag);
        Assert.Equal("current", credential.GetProperty("stage").GetString());
        var cluster = postgres.Cluster;
        await using var login = new Npgsql.NpgsqlConnection(
            $"Host={cluster.Host};Port={cluster.Port};Database=postgres;Username={credential.GetProperty("username").GetString()};Password={credential.GetProperty("password").GetString()}");
        await login.OpenAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task If_none_match_with_the_current_version_answers_304_without_a_body()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("read:orders/app");
        var version = await server.CurrentVersionAsync();

        using var same = await server.SendAsync(HttpMethod.Get, "/v1/secrets/orders/app", token, configure: r => r.Headers.TryAddWithoutValidation("If-None-Match", $"\"{version}\""));
        using var older = await server.SendAsync(HttpMethod.Get, "/v1/secrets/orders/app", token, configure: r => r.Headers.TryAddWithoutValidation("If-None-Match", $"\"{version - 1}\""));

        Assert.Equal(HttpStatusCode.NotModified, same.StatusCode);
        Assert.Empty(await same.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.OK, older.StatusCode);
    }

    [Fact]
    public async Task Rotate_makes_a_new_current_version_and_stage_previous_reads_the_one_in_grace()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("read:orders/app", "rotate:orders/app");
        var before = await server.CurrentVersionAsync();

        using var rotated = await server.PostAsync("/v1/secrets/orders/app/rotate", token, """{"grace": "10m"}""");
        using var previous = await server.GetAsync("/v1/secrets/orders/app?stage=previous", token);

        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var result = await RunningServer.JsonAsync(rotated);
        Assert.Equal(before + 1, result.GetProperty("version").GetInt32());
        Assert.Equal(before + 1, await server.CurrentVersionAsync());
        Assert.Equal(HttpStatusCode.OK, previous.StatusCode);
        Assert.Equal(before, (await RunningServer.JsonAsync(previous)).GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task Rotate_with_revoke_previous_expires_the_previous_login_at_once()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("rotate:orders/app");

        using var rotated = await server.PostAsync("/v1/secrets/orders/app/rotate", token, """{"revokePrevious": true}""");

        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Assert.True((await RunningServer.JsonAsync(rotated)).GetProperty("previousRevoked").GetBoolean());
    }

    [Fact]
    public async Task History_lists_the_secrets_events_oldest_first_with_the_rotations_actor()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("admin:orders/*");
        (await server.PostAsync("/v1/secrets/orders/app/rotate", token)).Dispose();

        using var response = await server.GetAsync("/v1/secrets/orders/app/history", token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = (await RunningServer.JsonAsync(response)).EnumerateArray().ToList();
        Assert.Equal("created", events[0].GetProperty("event").GetString());
        var rotated = events.Last(e => e.GetProperty("event").GetString() == "rotated");
        Assert.StartsWith("token:", rotated.GetProperty("actor").GetString());
    }

    [Fact]
    public async Task An_unknown_secret_the_token_may_read_is_404()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("read:*");

        using var response = await server.GetAsync("/v1/secrets/orders/missing", token);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("not_found", await RunningServer.ErrorCodeAsync(response));
    }
}

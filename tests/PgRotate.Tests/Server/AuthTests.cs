using System.Net;
using PgRotate.Access;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Server;

/// <summary>Bearer tokens: every way to be refused, and the 403 that does not tell a missing secret from a forbidden one.</summary>
public sealed class AuthTests(PostgresFixture postgres)
{
    [Fact]
    public async Task No_token_is_401_with_a_json_error_and_a_bearer_challenge()
    {
        await using var server = await RunningServer.StartAsync(postgres);

        using var response = await server.GetAsync("/v1/secrets/orders/app", null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("unauthenticated", await RunningServer.ErrorCodeAsync(response));
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Theory]
    [InlineData("not-a-token")]
    [InlineData("pgr_short")]
    [InlineData("pgr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task A_malformed_or_unknown_token_is_401(string token)
    {
        await using var server = await RunningServer.StartAsync(postgres);

        using var response = await server.GetAsync("/v1/secrets/orders/app", token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("unauthenticated", await RunningServer.ErrorCodeAsync(response));
    }

    [Fact]
    public async Task A_revoked_token_is_401_from_its_next_request_on()
    {
        // Without the token cache's grace (TokenCacheTests covers the default bound).
        await using var server = await RunningServer.StartAsync(postgres, s => s with { TokenCacheTime = TimeSpan.Zero });
        var token = await server.TokenAsync("read:*");
        using var before = await server.GetAsync("/v1/secrets/orders/app", token);
        var name = (await server.Store.Tokens.ListTokensAsync(TestContext.Current.CancellationToken)).Single(t => t.Name.StartsWith("tok", StringComparison.Ordinal)).Name;

        (await server.Sandbox.RunAsync("token", "revoke", name)).Ok();
        using var after = await server.GetAsync("/v1/secrets/orders/app", token);

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal("unauthenticated", await RunningServer.ErrorCodeAsync(after));
    }

    [Fact]
    public async Task An_expired_token_is_401()
    {
        var clock = CliSandbox.FakeTime();
        var sandbox = await new CliSandbox(postgres, clock).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", RunningServer.Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"))).Ok();
        await using var server = await RunningServer.OpenAsync(sandbox);
        var token = await server.TokenAsync(TimeSpan.FromHours(1), "read:*");
        using var before = await server.GetAsync("/v1/secrets/orders/app", token);

        clock.Advance(TimeSpan.FromHours(1));
        using var after = await server.GetAsync("/v1/secrets/orders/app", token);

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task A_token_without_the_capability_is_403_and_nothing_rotates()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("read:orders/app", "rotate:orders/other");
        var version = await server.CurrentVersionAsync();

        using var response = await server.PostAsync("/v1/secrets/orders/app/rotate", token);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("forbidden", await RunningServer.ErrorCodeAsync(response));
        Assert.Equal(version, await server.CurrentVersionAsync());
    }

    [Fact]
    public async Task A_missing_secret_the_token_may_not_read_answers_the_same_403_as_an_existing_one()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("read:billing/*");

        using var existing = await server.GetAsync("/v1/secrets/orders/app", token);
        using var missing = await server.GetAsync("/v1/secrets/orders/nothing", token);

        Assert.Equal(HttpStatusCode.Forbidden, existing.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, missing.StatusCode);
        var existingBody = (await existing.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Replace("orders/app", "NAME", StringComparison.Ordinal);
        var missingBody = (await missing.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Replace("orders/nothing", "NAME", StringComparison.Ordinal);
        Assert.Equal(existingBody, missingBody);
    }

    [Fact]
    public async Task Repeated_failures_from_one_address_are_answered_429_even_with_a_valid_token()
    {
        await using var server = await RunningServer.StartAsync(postgres, s => s with { AuthFailuresPerMinute = 3 });
        var valid = await server.TokenAsync("read:*");
        for (var i = 0; i < 3; i++)
        {
            using var refused = await server.GetAsync("/v1/secrets", "pgr_wrong");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using var limited = await server.GetAsync("/v1/secrets", valid);

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("rate_limited", await RunningServer.ErrorCodeAsync(limited));
        Assert.NotNull(limited.Headers.RetryAfter);
    }

    [Fact]
    public async Task Health_and_metrics_need_no_token_and_do_not_count_as_failures()
    {
        await using var server = await RunningServer.StartAsync(postgres, s => s with { AuthFailuresPerMinute = 1 });
        var valid = await server.TokenAsync("read:*");
        for (var i = 0; i < 3; i++)
        {
            using var health = await server.GetAsync("/healthz", null);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        using var read = await server.GetAsync("/v1/secrets", valid);

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    [Fact]
    public async Task Tokens_are_stored_only_as_hashes()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("read:*");

        var stored = (await server.Store.Tokens.ListTokensAsync(TestContext.Current.CancellationToken)).Single(t => t.Name.StartsWith("tok", StringComparison.Ordinal));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var file = await File.ReadAllBytesAsync(server.Sandbox.StorePath, TestContext.Current.CancellationToken);
        var wal = File.Exists(server.Sandbox.StorePath + "-wal") ? await File.ReadAllBytesAsync(server.Sandbox.StorePath + "-wal", TestContext.Current.CancellationToken) : [];

        Assert.Equal(TokenHashes.Hash(token), stored.Hash);
        Assert.StartsWith(TokenHashes.Prefix, token);
        var text = System.Text.Encoding.ASCII.GetBytes(token[TokenHashes.Prefix.Length..]);
        Assert.Equal(-1, file.AsSpan().IndexOf(text));
        Assert.Equal(-1, wal.AsSpan().IndexOf(text));
    }
}

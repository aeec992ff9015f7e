using System.Net;
using PgRotate.Server;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Server;

/// <summary>
/// Accepted tokens are trusted for <see cref="ServerSettings.TokenCacheTime"/> without asking the store: a revocation
/// by another process takes effect within that bound, and not later.
/// </summary>
public sealed class TokenCacheTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_revoked_token_is_refused_once_the_token_cache_time_has_passed_and_not_before()
    {
        var clock = CliSandbox.FakeTime();
        var sandbox = await new CliSandbox(postgres, clock).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", RunningServer.Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"))).Ok();
        await using var server = await RunningServer.OpenAsync(sandbox);
        var bound = new ServerSettings { Listen = ListenAddress.Parse("http://127.0.0.1:0", tls: false) }.TokenCacheTime;
        var token = await server.TokenAsync("read:*");
        using var before = await server.GetAsync("/v1/secrets/orders/app", token);
        var name = (await server.Store.Tokens.ListTokensAsync(TestContext.Current.CancellationToken)).Single(t => t.Name.StartsWith("tok", StringComparison.Ordinal)).Name;

        (await sandbox.RunAsync("token", "revoke", name)).Ok();
        clock.Advance(bound - TimeSpan.FromMilliseconds(1));
        using var withinBound = await server.GetAsync("/v1/secrets/orders/app", token);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        using var afterBound = await server.GetAsync("/v1/secrets/orders/app", token);

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withinBound.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, afterBound.StatusCode);
        Assert.InRange(bound, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30));
    }
}

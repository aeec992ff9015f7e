using System.Net;
using Microsoft.Extensions.DependencyInjection;
using PgRotate.Secrets;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Server;

/// <summary>
/// Credential answers are read, decrypted and serialised once per version and shared; a rotation (this server's own, or
/// another process's seen through the change feed) drops them, so no read after it answers with the old version.
/// </summary>
public sealed class CredentialCacheTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Reads_share_one_answer_until_an_api_rotation_replaces_it()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("read:orders/app", "rotate:orders/app");
        var cache = server.App.Services.GetRequiredService<PgRotate.Server.Caching.CredentialCache>();
        var first = await cache.GetAsync(RunningServer.Secret, Stage.Current, Ct);
        var second = await cache.GetAsync(RunningServer.Secret, Stage.Current, Ct);
        using var readBefore = await server.GetAsync("/v1/secrets/orders/app", token);

        using var rotated = await server.PostAsync("/v1/secrets/orders/app/rotate", token);
        using var readAfter = await server.GetAsync("/v1/secrets/orders/app", token);

        Assert.Same(first, second);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var before = await RunningServer.JsonAsync(readBefore);
        var after = await RunningServer.JsonAsync(readAfter);
        Assert.Equal(first.Version, before.GetProperty("version").GetInt32());
        Assert.Equal(first.Version + 1, after.GetProperty("version").GetInt32());
        Assert.NotEqual(before.GetProperty("password").GetString(), after.GetProperty("password").GetString());
        Assert.NotEqual(before.GetProperty("username").GetString(), after.GetProperty("username").GetString());
    }

    [Fact]
    public async Task Once_a_watcher_has_the_version_another_process_rotated_to_a_plain_read_never_answers_the_old_one()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("read:orders/app");
        using var cached = await server.GetAsync("/v1/secrets/orders/app", token);
        var version = (await RunningServer.JsonAsync(cached)).GetProperty("version").GetInt32();

        var watch = server.GetAsync($"/v1/secrets/orders/app?waitForChange={version}&timeout=30s", token);
        await server.Watchers.WhenOpenAsync(1, Ct);
        (await server.Sandbox.SharingStore().RunAsync("rotate", RunningServer.Secret)).Ok();
        using var woken = await watch;
        using var read = await server.GetAsync("/v1/secrets/orders/app", token);

        Assert.Equal(HttpStatusCode.OK, woken.StatusCode);
        Assert.Equal(version + 1, (await RunningServer.JsonAsync(woken)).GetProperty("version").GetInt32());
        Assert.Equal(version + 1, (await RunningServer.JsonAsync(read)).GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task A_change_the_feed_does_not_report_is_answered_once_the_credential_cache_time_has_passed()
    {
        var clock = CliSandbox.FakeTime();
        var sandbox = await new CliSandbox(postgres, clock).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", RunningServer.Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"))).Ok();
        await using var server = await RunningServer.OpenAsync(sandbox);
        var bound = server.App.Services.GetRequiredService<PgRotate.Server.ServerSettings>().CredentialCacheTime;
        var token = await server.TokenAsync("read:orders/app");
        using var before = await server.GetAsync("/v1/secrets/orders/app", token);
        var port = (await RunningServer.JsonAsync(before)).GetProperty("port").GetInt32();

        (await sandbox.RunAsync("target", "update", sandbox.TargetName, "--conn", $"Host=127.0.0.1;Port={port + 1};Database=postgres;Username=postgres", "--no-verify")).Ok();
        clock.Advance(bound);
        using var after = await server.GetAsync("/v1/secrets/orders/app", token);

        Assert.Equal(port + 1, (await RunningServer.JsonAsync(after)).GetProperty("port").GetInt32());
        Assert.InRange(bound, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_read_with_no_cache_reads_the_store_again_at_once()
    {
        var clock = CliSandbox.FakeTime();
        var sandbox = await new CliSandbox(postgres, clock).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", RunningServer.Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"))).Ok();
        await using var server = await RunningServer.OpenAsync(sandbox);
        var token = await server.TokenAsync("read:orders/app");
        using var before = await server.GetAsync("/v1/secrets/orders/app", token);
        var port = (await RunningServer.JsonAsync(before)).GetProperty("port").GetInt32();

        // A change the feed does not report, and no clock move: only a read that bypasses the cache can see it.
        (await sandbox.RunAsync("target", "update", sandbox.TargetName, "--conn", $"Host=127.0.0.1;Port={port + 1};Database=postgres;Username=postgres", "--no-verify")).Ok();
        using var cached = await server.GetAsync("/v1/secrets/orders/app", token);
        using var fresh = await server.SendAsync(HttpMethod.Get, "/v1/secrets/orders/app", token, configure: r => r.Headers.CacheControl = new System.Net.Http.Headers.CacheControlHeaderValue { NoCache = true });

        Assert.Equal(port, (await RunningServer.JsonAsync(cached)).GetProperty("port").GetInt32());
        Assert.Equal(port + 1, (await RunningServer.JsonAsync(fresh)).GetProperty("port").GetInt32());
    }
}

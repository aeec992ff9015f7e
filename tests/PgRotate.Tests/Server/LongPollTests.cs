using System.Net;
using Microsoft.Extensions.Time.Testing;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Server;

/// <summary>
/// <c>?waitForChange=VERSION</c>: answered the moment a newer version is current, whoever rotated it; 304 at the
/// timeout or when the server stops.
/// </summary>
public sealed class LongPollTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_rotation_through_the_api_wakes_a_waiting_watcher_with_the_new_version()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("read:orders/app", "rotate:orders/app");
        var version = await server.CurrentVersionAsync();

        var watch = server.GetAsync($"/v1/secrets/orders/app?waitForChange={version}&timeout=5m", token);
        await server.Watchers.WhenOpenAsync(1, TestContext.Current.CancellationToken);
        using var rotated = await server.PostAsync("/v1/secrets/orders/app/rotate", token);
        using var answer = await watch;

        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(version + 1, (await RunningServer.JsonAsync(answer)).GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task A_watcher_that_is_already_behind_is_answered_at_once()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("read:orders/app");
        var version = await server.CurrentVersionAsync();

        using var answer = await server.GetAsync($"/v1/secrets/orders/app?waitForChange={version - 1}&timeout=5m", token);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(version, (await RunningServer.JsonAsync(answer)).GetProperty("version").GetInt32());
        Assert.Equal(0, server.Watchers.Open);
    }

    /// <summary>
    /// Needs the store's change feed (store.Changes) for SQLite: until it signals, the server learns of another
    /// process's rotation only at the timeout, and this test fails.
    /// </summary>
    [Fact]
    public async Task A_rotation_by_a_separate_pgrotate_process_on_the_same_store_wakes_a_watcher()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("read:orders/app");
        var version = await server.CurrentVersionAsync();

        var watch = server.GetAsync($"/v1/secrets/orders/app?waitForChange={version}&timeout=30s", token);
        await server.Watchers.WhenOpenAsync(1, TestContext.Current.CancellationToken);
        (await CliProcess.RunAsync(server.Sandbox, null, "rotate", RunningServer.Secret)).Ok();
        using var answer = await watch;

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(version + 1, (await RunningServer.JsonAsync(answer)).GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task Nothing_newer_within_the_timeout_answers_304_with_the_version_the_caller_has()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var sandbox = await new CliSandbox(postgres, clock).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", RunningServer.Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"))).Ok();
        await using var server = await RunningServer.OpenAsync(sandbox);
        var token = await server.TokenAsync("read:orders/app");
        var version = await server.CurrentVersionAsync();

        var watch = server.GetAsync($"/v1/secrets/orders/app?waitForChange={version}&timeout=30s", token);
        await server.Watchers.WhenOpenAsync(1, TestContext.Current.CancellationToken);
        clock.Advance(TimeSpan.FromSeconds(30));
        using var answer = await watch;

        Assert.Equal(HttpStatusCode.NotModified, answer.StatusCode);
        Assert.Equal($"\"{version}\"", answer.Headers.ETag?.Tag);
        Assert.Equal(version, await server.CurrentVersionAsync());
    }

    [Fact]
    public async Task Stopping_the_server_answers_open_long_polls_with_304()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("read:orders/app");
        var version = await server.CurrentVersionAsync();

        var watches = Enumerable.Range(0, 3).Select(_ => server.GetAsync($"/v1/secrets/orders/app?waitForChange={version}&timeout=5m", token)).ToList();
        await server.Watchers.WhenOpenAsync(3, TestContext.Current.CancellationToken);
        await server.App.StopAsync(TestContext.Current.CancellationToken);
        var answers = await Task.WhenAll(watches);

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.NotModified, a.StatusCode));
        Assert.Equal(0, server.Watchers.Open);
        foreach (var answer in answers)
        {
            answer.Dispose();
        }
    }

}

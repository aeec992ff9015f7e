using System.Net;
using PgRotate.Client;
using PgRotate.Contracts;
using PgRotate.Tests.Server;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Client;

/// <summary>The watcher: the first fetch is awaited, rotations arrive through the long-poll, errors are PgRotateApiExceptions.</summary>
public sealed class CredentialWatcherTests(PostgresFixture postgres)
{
    /// <summary>A refresh interval longer than any test: only the long-poll can report the rotation.</summary>
    private static readonly CredentialWatcherSettings LongPollOnly = new() { LongPollTimeout = TimeSpan.FromMinutes(5), RefreshInterval = TimeSpan.FromHours(1) };

    [Fact]
    public async Task A_rotation_through_the_api_reaches_the_watcher_through_the_long_poll()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        using var api = await ApiAsync(server, "read:orders/app", "rotate:orders/app");
        await using var watcher = await CredentialWatcher.StartAsync(api, RunningServer.Secret, LongPollOnly, cancellationToken: TestContext.Current.CancellationToken);
        var before = watcher.Current;
        var changed = new TaskCompletionSource<Credential>(TaskCreationOptions.RunContinuationsAsynchronously);
        watcher.Changed += c => changed.TrySetResult(c);

        await server.Watchers.WhenOpenAsync(1, TestContext.Current.CancellationToken);
        var rotation = await api.RotateAsync(RunningServer.Secret, cancellationToken: TestContext.Current.CancellationToken);
        var after = await changed.Task.WaitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(before.Version + 1, after.Version);
        Assert.Equal(rotation.Version, after.Version);
        Assert.NotEqual(before.Username, after.Username);
        Assert.Equal(after, watcher.Current);
    }

    [Fact]
    public async Task WatchAsync_yields_the_current_credential_first_then_each_change()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        using var api = await ApiAsync(server, "read:orders/app", "rotate:orders/app");
        await using var watcher = await CredentialWatcher.StartAsync(api, RunningServer.Secret, LongPollOnly, cancellationToken: TestContext.Current.CancellationToken);
        var first = watcher.Current;

        var seen = new List<Credential>();
        await foreach (var credential in watcher.WatchAsync(TestContext.Current.CancellationToken))
        {
            seen.Add(credential);
            if (seen.Count == 1)
            {
                await api.RotateAsync(RunningServer.Secret, cancellationToken: TestContext.Current.CancellationToken);
            }
            else
            {
                break;
            }
        }

        Assert.Equal(first, seen[0]);
        Assert.Equal(first.Version + 1, seen[1].Version);
    }

    [Fact]
    public async Task RefreshAsync_fetches_a_rotation_the_watcher_has_not_heard_of_yet()
    {
        await using var server = await RestartableServer.StartAsync(postgres);
        using var blackHole = new LongPollBlackHole();
        using var api = await server.ApiAsync(o => o.HttpHandler = blackHole);
        await using var watcher = await CredentialWatcher.StartAsync(api, RunningServer.Secret, LongPollOnly, cancellationToken: TestContext.Current.CancellationToken);
        var before = watcher.Current;

        // Its long-polls never come back: only asking finds the rotation.
        var rotation = await server.RotateAsync();
        var unchanged = watcher.Current;
        var refreshed = await watcher.RefreshAsync(TestContext.Current.CancellationToken);

        Assert.Equal(before, unchanged);
        Assert.Equal(rotation.Version, refreshed.Version);
        Assert.Equal(refreshed, watcher.Current);
    }

    [Fact]
    public async Task Start_throws_when_the_first_fetch_fails_with_the_servers_error_code_and_without_the_token()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        const string wrongToken = "pgr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        using var api = await PgRotateApiClient.CreateAsync(new PgRotateClientOptions { ServerUrl = server.Address, Token = wrongToken }, cancellationToken: TestContext.Current.CancellationToken);

        var e = await Assert.ThrowsAsync<PgRotateApiException>(() => CredentialWatcher.StartAsync(api, RunningServer.Secret, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
        Assert.Equal("unauthenticated", e.ErrorCode);
        Assert.DoesNotContain(wrongToken, e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_that_may_not_read_the_secret_gets_forbidden()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        using var api = await ApiAsync(server, "read:billing/*");

        var e = await Assert.ThrowsAsync<PgRotateApiException>(() => api.GetCredentialAsync(RunningServer.Secret, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
        Assert.Equal("forbidden", e.ErrorCode);
    }

    [Fact]
    public async Task The_token_is_read_from_TokenFile()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var tokenFile = Path.Combine(server.Sandbox.Directory, "token");
        await File.WriteAllTextAsync(tokenFile, await server.TokenAsync("read:orders/app") + "\n", TestContext.Current.CancellationToken);
        using var api = await PgRotateApiClient.CreateAsync(new PgRotateClientOptions { ServerUrl = server.Address, TokenFile = tokenFile }, cancellationToken: TestContext.Current.CancellationToken);

        var credential = await api.GetCredentialAsync(RunningServer.Secret, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(await server.CurrentVersionAsync(), credential.Version);
    }

    private static async Task<PgRotateApiClient> ApiAsync(RunningServer server, params string[] policies) =>
        await PgRotateApiClient.CreateAsync(new PgRotateClientOptions { ServerUrl = server.Address, Token = await server.TokenAsync(policies) }, cancellationToken: TestContext.Current.CancellationToken);
}

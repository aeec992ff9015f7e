using PgRotate.Client;
using PgRotate.Contracts;
using PgRotate.Tests.Server;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Client;

/// <summary>The periodic full fetch is the fallback for long-polls that never report a change.</summary>
public sealed class PeriodicRefreshTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_rotation_the_long_poll_never_reports_is_found_by_the_periodic_refresh()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RestartableServer.StartAsync(postgres);
        using var unchanged = new LongPollsAnsweredUnchanged();
        using var api = await server.ApiAsync(o => o.HttpHandler = unchanged);
        var settings = new CredentialWatcherSettings { LongPollTimeout = TimeSpan.FromMinutes(1), RefreshInterval = TimeSpan.FromSeconds(1) };
        await using var watcher = await CredentialWatcher.StartAsync(api, RunningServer.Secret, settings, cancellationToken: ct);
        var changed = new TaskCompletionSource<Credential>(TaskCreationOptions.RunContinuationsAsynchronously);
        watcher.Changed += c => changed.TrySetResult(c);

        var rotation = await api.RotateAsync(RunningServer.Secret, cancellationToken: ct);
        var seen = await changed.Task.WaitAsync(ct);

        Assert.Equal(rotation.Version, seen.Version);
        Assert.True(Volatile.Read(ref unchanged.LongPolls) > 0, "the watcher long-polled");
    }
}

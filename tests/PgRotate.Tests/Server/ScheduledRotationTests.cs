using System.Net;
using Microsoft.Extensions.Time.Testing;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Server;

/// <summary>The scheduler inside the server: a due secret is rotated without anyone asking, and its watchers hear of it.</summary>
public sealed class ScheduledRotationTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_secret_that_falls_due_is_rotated_by_the_server_and_wakes_its_watchers()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var sandbox = await new CliSandbox(postgres, clock).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", RunningServer.Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"), "--every", "1h")).Ok();
        await using var server = await RunningServer.OpenAsync(sandbox);
        var token = await server.TokenAsync("read:orders/app");
        var version = await server.CurrentVersionAsync();

        // Past the due time, onto a scheduler tick; the watcher then waits (on a clock that no longer moves, so its
        // timeout never comes) for that tick's rotation, or is answered at once if it has already landed.
        clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(30));
        using var answer = await server.GetAsync($"/v1/secrets/orders/app?waitForChange={version}&timeout=5m", token);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(version + 1, (await RunningServer.JsonAsync(answer)).GetProperty("version").GetInt32());
        var history = await server.Store.ListHistoryAsync(RunningServer.Secret, null, null, TestContext.Current.CancellationToken);
        Assert.Equal("scheduler", history.Last(h => h.Event == "rotated").Actor);
    }
}

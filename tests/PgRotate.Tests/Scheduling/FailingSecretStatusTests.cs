using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PgRotate.Scheduling;
using PgRotate.Server.Scheduling;
using PgRotate.Tests.Server;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Scheduling;

/// <summary>
/// <c>GET /v1/secrets</c> shows what the server's scheduler knows: a secret whose scheduled rotation failed is listed as
/// failing, with its failures in a row, when it is tried next and why it failed.
/// </summary>
public sealed class FailingSecretStatusTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_secret_whose_scheduled_rotation_failed_is_listed_as_failing_with_its_next_attempt()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var sandbox = await new CliSandbox(postgres, clock).InitializedWithTargetAsync();
        var gate = Unique.Name("gate");
        await postgres.ExecuteAsync($"CREATE TABLE {gate} (); GRANT SELECT ON {gate} TO PUBLIC");
        (await sandbox.RunAsync("secret", "add", RunningServer.Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"),
            "--every", "1h", "--check-sql", $"SELECT * FROM {gate}")).Ok();
        // The check query now fails, so the scheduled rotation's test of the new login fails.
        await postgres.ExecuteAsync($"DROP TABLE {gate}");
        await using var server = await RunningServer.OpenAsync(sandbox);
        var token = await server.TokenAsync("read:orders/*");
        var failedTick = new TaskCompletionSource<DueRun>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.App.Services.GetRequiredService<ScheduledRotations>().TickFinished += (_, run) =>
        {
            if (run.Failed.Count > 0)
            {
                failedTick.TrySetResult(run);
            }
        };
        var before = await ListedAsync(server, token);

        clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(30));
        await failedTick.Task.WaitAsync(TestContext.Current.CancellationToken);
        var failedAt = clock.GetUtcNow();
        var after = await ListedAsync(server, token);

        Assert.Equal(("ok", 0, JsonValueKind.Null), (before.GetProperty("status").GetString(), before.GetProperty("consecutiveFailures").GetInt32(), before.GetProperty("nextAttemptAt").ValueKind));
        Assert.Equal(("failing", 1), (after.GetProperty("status").GetString(), after.GetProperty("consecutiveFailures").GetInt32()));
        Assert.Equal(failedAt + new SchedulerOptions().FirstBackoff, after.GetProperty("nextAttemptAt").GetDateTimeOffset());
        Assert.Contains(gate, after.GetProperty("lastError").GetString(), StringComparison.Ordinal);
    }

    private static async Task<JsonElement> ListedAsync(RunningServer server, string token)
    {
        using var response = await server.GetAsync("/v1/secrets", token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Assert.Single((await RunningServer.JsonAsync(response)).EnumerateArray().ToList());
    }
}

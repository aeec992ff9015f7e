using PgRotate.Tests.Server;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Agent;

/// <summary>When the server goes away the agent says so on stderr, keeps the last good files and keeps running.</summary>
public sealed class AgentServerOutageTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_server_outage_is_a_warning_on_stderr_and_the_files_stay()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var path = AgentCommandTests.PathIn(server, "pg_service.conf");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var (log, errors) = (new LogLines(), new LogLines());
        var agent = AgentCommandTests.RunAgentAsync(server, await server.TokenAsync("read:orders/app"), log, errors, stop.Token,
            "--server", server.Address.ToString(), "--render", $"{RunningServer.Secret}:service:{path}");
        await log.WaitForAsync(l => l.StartsWith($"rendered {path}", StringComparison.Ordinal));
        var rendered = await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken);

        await server.App.StopAsync(TestContext.Current.CancellationToken);
        var warning = await errors.WaitForAsync(l => l.StartsWith("pgrotate: warning: ", StringComparison.Ordinal));

        Assert.False(agent.IsCompleted, $"the agent ended: {errors}");
        Assert.Equal(rendered, await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
        Assert.Contains(RunningServer.Secret, warning);
        await stop.CancelAsync();
        Assert.Equal(0, await agent);
    }
}

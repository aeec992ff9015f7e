using PgRotate.Tests.Server;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Agent;

/// <summary>What 'pgrotate agent' refuses before it writes anything: one line on stderr, the stable exit code, no file.</summary>
public sealed class AgentBadInputTests(PostgresFixture postgres)
{
    public static TheoryData<string, string[]> UsageErrors => new()
    {
        { "does not exist", ["--render", "orders/app:service:{dir}/missing/pg_service.conf"] },
        { "is a folder", ["--render", "orders/app:service:{dir}"] },
        { "unknown format", ["--render", "orders/app:yaml:{dir}/out"] },
        { "expected SECRET:FORMAT:PATH", ["--render", "orders/app:{dir}/out"] },
        { "give at least one --render", [] },
        { "needs --pgbouncer-pidfile", ["--pgbouncer-databases", "orders/app:orders:{dir}/out"] },
        { "is for --pgbouncer-databases", ["--render", "orders/app:service:{dir}/out", "--pgbouncer-pidfile", "{dir}/pid"] },
        { "share a file", ["--render", "orders/app:env:{dir}/out", "--render", "billing/app:env:{dir}/out"] },
        { "cannot read the template", ["--render", "orders/app:template={dir}/none.liquid:{dir}/out"] },
        { "cannot read the agent config", ["--config", "{dir}/none.json"] },
    };

    [Theory]
    [MemberData(nameof(UsageErrors))]
    public async Task Bad_input_is_one_line_exit_2_and_writes_nothing(string message, string[] args)
    {
        using var sandbox = new CliSandbox(postgres);
        sandbox.SetEnvironment("PGROTATE_TOKEN", "pgr_x");
        var before = Directory.GetFileSystemEntries(sandbox.Directory);

        var line = (await sandbox.RunAsync(["agent", "--server", "http://127.0.0.1:1", .. args.Select(a => a.Replace("{dir}", sandbox.Directory, StringComparison.Ordinal))])).FailsWith(2);

        Assert.Contains(message, line);
        Assert.Equal(before, Directory.GetFileSystemEntries(sandbox.Directory));
    }

    [Fact]
    public async Task Without_a_server_or_a_token_the_agent_says_which_is_missing()
    {
        using var sandbox = new CliSandbox(postgres);
        var render = $"orders/app:service:{sandbox.Directory}/out";
        Assert.Contains("--server", (await sandbox.RunAsync("agent", "--render", render)).FailsWith(2));
        Assert.Contains("--token-file", (await sandbox.RunAsync("agent", "--server", "http://127.0.0.1:1", "--render", render)).FailsWith(2));
        Assert.Contains("does not exist", (await sandbox.RunAsync("agent", "--server", "http://127.0.0.1:1", "--token-file", "nope", "--render", render)).FailsWith(2));
        Assert.Contains("not an http", (await sandbox.RunAsync("agent", "--server", "ftp://x", "--token-file", "nope", "--render", render)).FailsWith(2));
        Assert.False(File.Exists(Path.Combine(sandbox.Directory, "out")));
    }

    [Fact]
    public async Task A_config_field_the_agent_does_not_know_is_refused()
    {
        using var sandbox = new CliSandbox(postgres);
        var config = Path.Combine(sandbox.Directory, "agent.json");
        await File.WriteAllTextAsync(config, """{"server": "http://127.0.0.1:1", "renders": ["orders/app:service:/tmp/x"]}""", TestContext.Current.CancellationToken);

        Assert.Contains("renders", (await sandbox.RunAsync("agent", "--config", config)).FailsWith(2));
    }

    [Fact]
    public async Task A_refused_token_or_an_unknown_secret_stops_the_agent_at_start_with_nothing_written()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var path = AgentCommandTests.PathIn(server, "pg_service.conf");
        string[] args = ["--server", server.Address.ToString(), "--render", $"{RunningServer.Secret}:service:{path}", "--once"];

        var unknownToken = await AgentCommandTests.RunAgentAsync(server, "pgr_" + new string('A', 43), TestContext.Current.CancellationToken, args);
        var otherSecrets = await AgentCommandTests.RunAgentAsync(server, await server.TokenAsync("read:billing/*"), TestContext.Current.CancellationToken, args);
        var missing = await AgentCommandTests.RunAgentAsync(server, await server.TokenAsync("read:*"), TestContext.Current.CancellationToken,
            "--server", server.Address.ToString(), "--render", $"orders/none:service:{path}", "--once");

        Assert.Equal((10, 1), (unknownToken.Exit, unknownToken.Errors.Lines.Count));
        Assert.Equal((11, 1), (otherSecrets.Exit, otherSecrets.Errors.Lines.Count));
        Assert.Equal((3, 1), (missing.Exit, missing.Errors.Lines.Count));
        Assert.All([unknownToken, otherSecrets, missing], run => Assert.StartsWith("pgrotate: ", run.Errors.Lines[0]));
        Assert.False(File.Exists(path));
    }
}

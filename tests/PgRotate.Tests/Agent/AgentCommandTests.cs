using System.Diagnostics;
using PgRotate.Cli;
using PgRotate.Tests.Server;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Agent;

/// <summary>
/// <c>pgrotate agent</c> against a real <c>pgrotate serve</c> (in-process, over HTTP) and the test cluster: files
/// rendered from the API, re-rendered the moment a rotation through the API lands, --once, --config, stopping.
/// </summary>
public sealed class AgentCommandTests(PostgresFixture postgres)
{
    private static string ServiceName => RunningServer.Secret.Replace('/', '_');

    [Fact]
    public async Task Once_renders_the_current_credential_from_the_server_and_psql_logs_in_with_it()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("read:orders/*");
        var (service, env) = (PathIn(server, "pg_service.conf"), PathIn(server, "db.env"));

        var (exit, log, errors) = await RunAgentAsync(server, token, TestContext.Current.CancellationToken,
            "--server", server.Address.ToString(), "--render", $"{RunningServer.Secret}:service:{service}", "--render", $"{RunningServer.Secret}:env:{env}", "--once");

        Assert.True(exit == 0, errors.ToString());
        var current = await ClientLogin.GetAsync(server.Sandbox, RunningServer.Secret);
        Assert.Equal((await server.Sandbox.RunAsync("get", RunningServer.Secret, "--format", "service")).Ok(), await File.ReadAllTextAsync(service, TestContext.Current.CancellationToken));
        Assert.Equal((await server.Sandbox.RunAsync("get", RunningServer.Secret, "--format", "env")).Ok(), await File.ReadAllTextAsync(env, TestContext.Current.CancellationToken));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(service));
        Assert.Equal(current.Username, await LibpqClient.SessionUserAsync(new Dictionary<string, string> { ["PGSERVICEFILE"] = service, ["PGSERVICE"] = ServiceName }));
        Assert.Contains($"rendered {service}: {RunningServer.Secret} version {current.Version}, login {current.Username}", log.Lines);
        Assert.DoesNotContain(current.Password, log + errors.ToString());
    }

    [Fact]
    public async Task A_rotation_through_the_api_is_on_disk_at_once_and_stopping_leaves_the_file()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("read:orders/app", "rotate:orders/app");
        var path = PathIn(server, "pg_service.conf");
        var seen = PathIn(server, "hook.log");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var (log, errors) = (new LogLines(), new LogLines());
        var agent = RunAgentAsync(server, token, log, errors, stop.Token,
            "--server", server.Address.ToString(), "--render", $"{RunningServer.Secret}:service:{path}", "--exec", $"echo \"$PGROTATE_VERSION\" >> '{seen}'");
        var first = await ClientLogin.GetAsync(server.Sandbox, RunningServer.Secret);
        await log.WaitForAsync(l => l.EndsWith($"version {first.Version}, login {first.Username}", StringComparison.Ordinal));

        for (var rotation = 0; rotation < 3; rotation++)
        {
            using var rotated = await server.PostAsync($"/v1/secrets/{RunningServer.Secret}/rotate", token, """{"force": true}""");
            Assert.Equal(System.Net.HttpStatusCode.OK, rotated.StatusCode);
            var version = (await RunningServer.JsonAsync(rotated)).GetProperty("version").GetInt32();
            await log.WaitForAsync(l => l.Contains($"{RunningServer.Secret} version {version},", StringComparison.Ordinal));
        }

        var current = await ClientLogin.GetAsync(server.Sandbox, RunningServer.Secret);
        Assert.Equal(current.Username, await LibpqClient.SessionUserAsync(new Dictionary<string, string> { ["PGSERVICEFILE"] = path, ["PGSERVICE"] = ServiceName }));
        await stop.CancelAsync();
        Assert.Equal(0, await agent);
        Assert.Contains(log.Lines, l => l.StartsWith("stopped", StringComparison.Ordinal));
        Assert.Equal((await server.Sandbox.RunAsync("get", RunningServer.Secret, "--format", "service")).Ok(), await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
        Assert.Equal($"{first.Version}\n{first.Version + 1}\n{first.Version + 2}\n{first.Version + 3}\n", await File.ReadAllTextAsync(seen, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_config_file_gives_the_same_settings_as_flags()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var tokenFile = PathIn(server, "agent.token");
        await File.WriteAllTextAsync(tokenFile, await server.TokenAsync("read:orders/*") + "\n", TestContext.Current.CancellationToken);
        var path = PathIn(server, "pg_service.conf");
        var config = PathIn(server, "agent.json");
        await File.WriteAllTextAsync(config, $$"""{"server": "{{server.Address}}", "tokenFile": "{{tokenFile}}", "render": ["{{RunningServer.Secret}}:service:{{path}}"]}""",
            TestContext.Current.CancellationToken);

        var (exit, _, errors) = await RunAgentAsync(server, token: null, TestContext.Current.CancellationToken, "--config", config, "--once");

        Assert.True(exit == 0, errors.ToString());
        Assert.Equal((await server.Sandbox.RunAsync("get", RunningServer.Secret, "--format", "service")).Ok(), await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Sigterm_stops_the_agent_with_exit_0_and_the_file_in_place()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var path = PathIn(server, "pg_service.conf");
        var startInfo = CliProcess.StartInfo(server.Sandbox, "agent", "--server", server.Address.ToString(), "--render", $"{RunningServer.Secret}:service:{path}");
        startInfo.Environment["PGROTATE_TOKEN"] = await server.TokenAsync("read:orders/app");
        using var agent = Process.Start(startInfo)!;
        agent.StandardInput.Close();
        var error = agent.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            var first = await agent.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken);
            Assert.StartsWith($"rendered {path}:", first);

            using (var kill = Process.Start("kill", ["-TERM", agent.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
            }

            var rest = await agent.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            await agent.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.True(agent.ExitCode == 0, $"exit {agent.ExitCode}: {await error}");
            Assert.StartsWith("stopped", rest);
            Assert.Equal((await server.Sandbox.RunAsync("get", RunningServer.Secret, "--format", "service")).Ok(), await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
        }
        finally
        {
            if (!agent.HasExited)
            {
                agent.Kill();
            }
        }
    }

    internal static string PathIn(RunningServer server, string name) => Path.Combine(server.Sandbox.Directory, name);

    internal static async Task<(int Exit, LogLines Log, LogLines Errors)> RunAgentAsync(RunningServer server, string? token, CancellationToken cancellationToken, params string[] args)
    {
        var (log, errors) = (new LogLines(), new LogLines());
        var exit = await RunAgentAsync(server, token, log, errors, cancellationToken, args);
        return (exit, log, errors);
    }

    /// <summary>The agent in-process, as the CLI runs it, with its token in $PGROTATE_TOKEN (when given).</summary>
    internal static Task<int> RunAgentAsync(RunningServer server, string? token, LogLines log, LogLines errors, CancellationToken cancellationToken, params string[] args)
    {
        var host = new CliHost(log, errors, TextReader.Null, name => name == "PGROTATE_TOKEN" ? token : null, server.Sandbox.Directory, TimeProvider.System);
        return Task.Run(() => CliApp.RunAsync(["agent", .. args], host, cancellationToken), CancellationToken.None);
    }
}

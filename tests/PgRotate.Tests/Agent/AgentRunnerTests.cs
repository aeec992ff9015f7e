using PgRotate.Cli.Commands.Agent;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Agent;

/// <summary>The agent's loop: re-rendering on each new credential, leaving unchanged files alone, the exec hook, stopping.</summary>
public sealed class AgentRunnerTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Each_new_credential_rewrites_the_file_and_stopping_leaves_the_last_one_in_place()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var setup = new AgentSetup(sandbox);
        var secret = await setup.AddSecretAsync();
        var path = setup.PathOf("pg_service.conf");
        var service = new Dictionary<string, string> { ["PGSERVICEFILE"] = path, ["PGSERVICE"] = secret.Replace('/', '_') };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var running = setup.Runner([await setup.RenderAsync($"{secret}:service:{path}")]).RunAsync(once: false, stop.Token);

        var first = await setup.CurrentAsync(secret);
        await setup.SendAsync(first);
        await setup.Log.WaitForAsync(l => l.EndsWith($"{secret} version {first.Version}, login {first.Username}", StringComparison.Ordinal));
        Assert.Equal(first.Username, await LibpqClient.SessionUserAsync(service));

        var second = await setup.RotateAsync(secret);
        await setup.SendAsync(second);
        await setup.Log.WaitForAsync(l => l.EndsWith($"{secret} version {second.Version}, login {second.Username}", StringComparison.Ordinal));
        Assert.NotEqual(first.Username, second.Username);
        Assert.Equal(second.Username, await LibpqClient.SessionUserAsync(service));

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.Equal((await sandbox.RunAsync("get", secret, "--format", "service")).Ok(), await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
        Assert.Empty(Directory.GetFiles(sandbox.Directory, ".pg_service.conf.*"));
    }

    [Fact]
    public async Task A_file_that_already_holds_the_credential_is_not_rewritten()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var setup = new AgentSetup(sandbox);
        var secret = await setup.AddSecretAsync();
        var path = setup.PathOf("pg_service.conf");
        var credential = await setup.CurrentAsync(secret);
        var output = await setup.RenderAsync($"{secret}:service:{path}");
        await setup.SendAsync(credential);
        await setup.Runner([output]).RunAsync(once: true, TestContext.Current.CancellationToken);
        var written = new FileInfo(path).LastWriteTimeUtc;
        var inode = await InodeAsync(path);

        // A restarted agent gets the same credential again.
        var restarted = new AgentSetup(sandbox);
        await restarted.SendAsync(credential);
        await restarted.Runner([output]).RunAsync(once: true, TestContext.Current.CancellationToken);

        Assert.DoesNotContain(restarted.Log.Lines, l => l.StartsWith("rendered", StringComparison.Ordinal));
        Assert.Equal(inode, await InodeAsync(path));
        Assert.Equal(written, new FileInfo(path).LastWriteTimeUtc);
    }

    [Fact]
    public async Task The_exec_hook_runs_after_each_change_with_the_version_in_its_environment_and_never_the_password()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var setup = new AgentSetup(sandbox);
        var secret = await setup.AddSecretAsync();
        var path = setup.PathOf("pg_service.conf");
        var seen = setup.PathOf("hook.log");
        // The hook also reads the file, which must already be in place when it runs.
        var exec = new ExecHook($"{{ env; echo \"file:$(grep -c '^user=' '{path}')\"; echo ---; }} >> '{seen}'", setup.Warnings);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var running = setup.Runner([await setup.RenderAsync($"{secret}:service:{path}")], exec).RunAsync(once: false, stop.Token);

        var first = await setup.CurrentAsync(secret);
        await setup.SendAsync(first);
        var second = await setup.RotateAsync(secret);
        await setup.SendAsync(second);
        // Then a third credential, to know the hook of the second has finished (the loop runs them in order).
        var third = await setup.RotateAsync(secret);
        await setup.SendAsync(third);
        await setup.Log.WaitForAsync(l => l.Contains($"version {third.Version},", StringComparison.Ordinal));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);

        var runs = (await File.ReadAllTextAsync(seen, TestContext.Current.CancellationToken)).Split("---\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.True(runs.Length >= 2, $"the hook ran {runs.Length} times");
        foreach (var (run, credential) in runs.Zip(new[] { first, second }))
        {
            Assert.Contains($"PGROTATE_SECRET={secret}\n", run);
            Assert.Contains($"PGROTATE_VERSION={credential.Version}\n", run);
            Assert.Contains($"PGROTATE_USERNAME={credential.Username}\n", run);
            Assert.Contains("file:1\n", run);
            Assert.DoesNotContain(credential.Password, run);
        }
    }

    [Fact]
    public async Task A_failing_exec_hook_is_reported_and_the_agent_keeps_rendering()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var setup = new AgentSetup(sandbox);
        var secret = await setup.AddSecretAsync();
        var path = setup.PathOf("pg_service.conf");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var running = setup.Runner([await setup.RenderAsync($"{secret}:service:{path}")], new ExecHook("exit 3", setup.Warnings)).RunAsync(once: false, stop.Token);

        var first = await setup.CurrentAsync(secret);
        await setup.SendAsync(first);
        var warning = await setup.Warnings.WaitForAsync(l => l.Contains("--exec", StringComparison.Ordinal));
        var second = await setup.RotateAsync(secret);
        await setup.SendAsync(second);
        await setup.Log.WaitForAsync(l => l.EndsWith($"version {second.Version}, login {second.Username}", StringComparison.Ordinal));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);

        Assert.Equal($"pgrotate: warning: --exec exited with 3 after {secret} version {first.Version}; the files are written, the agent goes on", warning);
        Assert.Equal(second.Username, await LibpqClient.SessionUserAsync(new Dictionary<string, string> { ["PGSERVICEFILE"] = path, ["PGSERVICE"] = secret.Replace('/', '_') }));
    }

    /// <summary>The file's inode: a rename over it gives the path a new one.</summary>
    private static async Task<string> InodeAsync(string path) => (await LibpqClient.RunAsync("stat", ["-c", "%i", path], new Dictionary<string, string>())).Out.Trim();
}

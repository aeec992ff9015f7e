using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Rotation;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary>
/// Tests that stop and start the assembly's shared PostgreSQL server. Every other test would see its connections cut,
/// so this collection does not run in parallel with anything: xunit v3 runs all parallel collections first, then each
/// collection with DisableParallelization on its own (XunitTestAssemblyRunner.RunTestCollectionsAsync).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ServerRestarts
{
    public const string Name = "server restarts";
}

[Collection(ServerRestarts.Name)]
public sealed class ServerRestartTests(PostgresFixture postgres)
{
    private const string Secret = "orders/app";

    /// <summary>The server goes down right after <paramref name="step"/> and comes back while the next step is being retried.</summary>
    [Theory]
    [InlineData(RotationStep.Create, RotationStep.Set)]
    [InlineData(RotationStep.Set, RotationStep.Test)]
    [InlineData(RotationStep.Test, RotationStep.Finish)]
    public async Task A_rotation_interrupted_by_a_server_restart_completes_once_the_server_is_back(RotationStep step, RotationStep retried)
    {
        var ct = TestContext.Current.CancellationToken;
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        // A grace period gives the finish step a server change (the previous login's VALID UNTIL) to retry.
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group, "--grace", "1h")).Ok();
        var store = await sandbox.OpenStoreAsync();
        await using var connector = new TargetConnector();
        var logger = new CapturingLogger<RotationEngine>();
        var port = postgres.Cluster.Port;
        Task? restart = null;
        var hooks = new RotationHooks
        {
            AfterStep = async (_, done, token) =>
            {
                if (done == step)
                {
                    // Nobody else may be using the server we stop (see ServerRestarts).
                    Assert.Equal(0L, await postgres.ScalarAsync<long>(
                        "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND state <> 'idle' AND pid <> pg_backend_pid()"));
                    await postgres.Cluster.StopAsync(token);
                    restart = Task.Run(() => postgres.Cluster.StartAsync(ct), ct);
                }
            },
        };
        var engine = new RotationEngine(store, connector, TimeProvider.System, new RotationOptions { RetryFor = TimeSpan.FromSeconds(60) }, hooks, logger);

        RotationResult result;
        try
        {
            result = await engine.RotateAsync(Secret, ct);
        }
        finally
        {
            // Whatever happened, the server is back before the next test.
            await (restart ?? Task.CompletedTask);
        }

        Assert.NotNull(restart);
        Assert.Equal(port, postgres.Cluster.Port);
        Assert.Equal((2, false), (result.Version, result.Resumed));
        // The step after the restart met the stopped server and was retried until it was back.
        Assert.Contains(logger.Messages, m => m.StartsWith($"Warning 1002 Step {retried} of {Secret} failed transiently", StringComparison.Ordinal));
        var state = await SecretState.AssertSettledAsync(postgres, sandbox, Secret, group);
        var previous = Assert.IsType<SecretState.Version>(state.Previous);
        Assert.Equal(result.PreviousValidUntil, previous.ValidUntil);
        var serverValidUntil = await postgres.ScalarAsync<DateTime>($"SELECT rolvaliduntil FROM pg_roles WHERE rolname = '{previous.Username}'");
        Assert.Equal(previous.ValidUntil!.Value.UtcDateTime, serverValidUntil, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task A_server_down_longer_than_the_retries_stops_the_rotation_and_the_next_run_resumes_the_pending_version()
    {
        var ct = TestContext.Current.CancellationToken;
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group)).Ok();
        var first = await ClientLogin.GetAsync(sandbox, Secret);
        var store = await sandbox.OpenStoreAsync();
        var logger = new CapturingLogger<RotationEngine>();
        PgRotateException error;
        await using (var connector = new TargetConnector())
        {
            var engine = new RotationEngine(store, connector, TimeProvider.System, new RotationOptions { RetryFor = TimeSpan.FromSeconds(1) }, StopAfter(RotationStep.Create), logger);
            try
            {
                error = await Assert.ThrowsAsync<PgRotateException>(() => engine.RotateAsync(Secret, ct));
            }
            finally
            {
                await postgres.Cluster.StartAsync(ct);
            }
        }

        Assert.Equal(ErrorCode.TargetUnreachable, error.Code);
        Assert.StartsWith($"rotation of {Secret} stopped at step set (", error.Message);
        Assert.EndsWith($"version 2 stays pending; the next 'pgrotate rotate {Secret}' resumes it; {first.Username} stays current", error.Message);
        Assert.Contains(logger.Messages, m => m.StartsWith($"Warning 1002 Step Set of {Secret} failed transiently", StringComparison.Ordinal));
        var stopped = await SecretState.ReadAsync(sandbox, Secret);
        Assert.Equal([(1, "current"), (2, "pending")], stopped.Versions.Select(v => (v.Number, v.Stage)));
        Assert.Equal($"{first.Username}/{group}", await ClientLogin.WhoAmIAsync(postgres, first));

        var resumed = await RotateRun.RunAsync(sandbox, Secret);

        Assert.Equal((2, true), (resumed.Version, resumed.Resumed));
        await SecretState.AssertSettledAsync(postgres, sandbox, Secret, group);
    }

    [Fact]
    public async Task A_server_down_longer_than_the_retries_at_finish_reports_a_done_rotation_whose_grace_was_not_set()
    {
        var ct = TestContext.Current.CancellationToken;
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group, "--grace", "1h")).Ok();
        var first = await ClientLogin.GetAsync(sandbox, Secret);
        var store = await sandbox.OpenStoreAsync();
        PgRotateException error;
        await using (var connector = new TargetConnector())
        {
            var engine = new RotationEngine(store, connector, TimeProvider.System, new RotationOptions { RetryFor = TimeSpan.FromSeconds(1) }, StopAfter(RotationStep.Test));
            try
            {
                error = await Assert.ThrowsAsync<PgRotateException>(() => engine.RotateAsync(Secret, ct));
            }
            finally
            {
                await postgres.Cluster.StartAsync(ct);
            }
        }

        Assert.Equal(ErrorCode.TargetUnreachable, error.Code);
        Assert.StartsWith($"rotated {Secret} to version 2 (login {group}_b), but the end of the previous login's grace could not be set (", error.Message);
        Assert.EndsWith($"{first.Username} stays valid until 'pgrotate rotate --all-due' sets it", error.Message);
        // Just as it says: the new version is current, and the previous login has no end of grace on the server…
        var state = await SecretState.AssertSettledAsync(postgres, sandbox, Secret, group);
        Assert.Equal(2, state.Current.Number);
        Assert.Equal("infinity", await postgres.ScalarAsync<string>($"SELECT rolvaliduntil::text FROM pg_roles WHERE rolname = '{first.Username}'"));

        // …until the next scheduled run applies the stored one.
        Assert.Contains("applied 1 grace end(s)", (await sandbox.RunAsync("rotate", "--all-due")).Ok());
        var onServer = await postgres.ScalarAsync<DateTime>($"SELECT rolvaliduntil FROM pg_roles WHERE rolname = '{first.Username}'");
        Assert.InRange((new DateTimeOffset(onServer, TimeSpan.Zero) - state.Previous!.ValidUntil!.Value).Duration(), TimeSpan.Zero, TimeSpan.FromSeconds(1));
    }

    /// <summary>Stops the server after <paramref name="step"/>; the test starts it again.</summary>
    private RotationHooks StopAfter(RotationStep step) => new()
    {
        AfterStep = async (_, done, token) =>
        {
            if (done == step)
            {
                await postgres.Cluster.StopAsync(token);
            }
        },
    };
}

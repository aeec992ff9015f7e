using PgRotate.Server;
using PgRotate.Tests.Server;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Client;

/// <summary>
/// A <see cref="RunningServer"/> that can be stopped and started again on the same port over the same store, as a
/// restarted <c>pgrotate serve</c> would be: what a client sees through an outage or a restart.
/// </summary>
internal sealed class RestartableServer : IAsyncDisposable
{
    private readonly CliSandbox _sandbox;

    private RestartableServer(CliSandbox sandbox, RunningServer server)
    {
        _sandbox = sandbox;
        Current = server;
        Address = server.Address;
    }

    /// <summary>The address clients are given; the same across restarts.</summary>
    public Uri Address { get; }

    public RunningServer Current { get; private set; }

    /// <param name="secretAdd">Extra options of <c>secret add</c> for <see cref="RunningServer.Secret"/> (e.g. <c>--strategy single</c>).</param>
    public static async Task<RestartableServer> StartAsync(PostgresFixture postgres, params string[] secretAdd)
    {
        var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        (await sandbox.RunAsync(["secret", "add", RunningServer.Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"), .. secretAdd])).Ok();
        return new RestartableServer(sandbox, await RunningServer.OpenAsync(sandbox));
    }

    public ValueTask StopAsync() => Current.StopAsync();

    /// <summary>Serves the same store on the same port again.</summary>
    public async Task StartAgainAsync() =>
        Current = await RunningServer.OpenAsync(_sandbox, s => s with { Listen = ListenAddress.Parse($"http://127.0.0.1:{Address.Port}", tls: false) });

    public async ValueTask DisposeAsync() => await Current.DisposeAsync();
}

using Microsoft.Extensions.Logging;
using PgRotate.Client;
using PgRotate.Contracts;
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

    private RestartableServer(CliSandbox sandbox, RunningServer server, string token)
    {
        _sandbox = sandbox;
        Current = server;
        Address = server.Address;
        Token = token;
    }

    /// <summary>The address clients are given; the same across restarts.</summary>
    public Uri Address { get; }

    public RunningServer Current { get; private set; }

    /// <summary>A token that may read and rotate the secret; the store keeps it across restarts.</summary>
    public string Token { get; }

    /// <param name="secretAdd">Extra options of <c>secret add</c> for <see cref="RunningServer.Secret"/> (e.g. <c>--strategy single</c>).</param>
    public static async Task<RestartableServer> StartAsync(PostgresFixture postgres, params string[] secretAdd)
    {
        var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        (await sandbox.RunAsync(["secret", "add", RunningServer.Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"), .. secretAdd])).Ok();
        var server = await RunningServer.OpenAsync(sandbox);
        return new RestartableServer(sandbox, server, await server.TokenAsync("read:orders/app", "rotate:orders/app"));
    }

    /// <summary>Client options for this server with <see cref="Token"/> (see <see cref="ClientTestSetup.Options"/>).</summary>
    public PgRotateClientOptions Options(Action<PgRotateClientOptions>? configure = null)
    {
        var options = ClientTestSetup.Options(Address, Token);
        configure?.Invoke(options);
        return options;
    }

    public Task<PgRotateDataSource> DataSourceAsync(ILoggerFactory? logs = null, Action<PgRotateClientOptions>? configure = null) =>
        PgRotateDataSource.CreateAsync(Options(configure), logs, cancellationToken: TestContext.Current.CancellationToken);

    public Task<PgRotateApiClient> ApiAsync(Action<PgRotateClientOptions>? configure = null) =>
        PgRotateApiClient.CreateAsync(Options(configure), cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>Rotates the secret through the API, as an operator or the scheduler would.</summary>
    public async Task<RotationResult> RotateAsync(RotateRequest? request = null)
    {
        using var api = await ApiAsync();
        return await api.RotateAsync(RunningServer.Secret, request, TestContext.Current.CancellationToken);
    }

    public ValueTask StopAsync() => Current.StopAsync();

    /// <summary>Serves the same store on the same port again.</summary>
    public async Task StartAgainAsync() =>
        Current = await RunningServer.OpenAsync(_sandbox, s => s with { Listen = ListenAddress.Parse($"http://127.0.0.1:{Address.Port}", tls: false) });

    public async ValueTask DisposeAsync() => await Current.DisposeAsync();
}

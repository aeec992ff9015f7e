using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using PgRotate.Access;
using PgRotate.Crypto;
using PgRotate.Postgres;
using PgRotate.Server;
using PgRotate.Server.Hosting;
using PgRotate.Server.Watching;
using PgRotate.Store;
using PgRotate.Store.Sqlite;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Server;

/// <summary>
/// A real <c>pgrotate serve</c> (Kestrel on a free loopback port) over a sandbox's SQLite store, with a target on the
/// test cluster and one alternating secret (<see cref="Secret"/>) set up through the CLI. Tokens are made through the
/// store as <c>token create</c> makes them.
/// </summary>
internal sealed class RunningServer : IAsyncDisposable
{
    public const string Secret = "orders/app";

    private MasterKey? _key;
    private bool _stopped;

    private RunningServer(CliSandbox sandbox, ISecretStore store, TargetConnector connector, WebApplication app, StringWriter warnings)
    {
        Sandbox = sandbox;
        Store = store;
        Connector = connector;
        App = app;
        Warnings = warnings;
        Address = ServerApp.BoundAddress(app);
        Http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromMinutes(2) };
    }

    public CliSandbox Sandbox { get; }
    public ISecretStore Store { get; }
    public TargetConnector Connector { get; }
    public WebApplication App { get; }
    public StringWriter Warnings { get; }
    public Uri Address { get; }
    public HttpClient Http { get; }
    public SecretWatchers Watchers => App.Services.GetRequiredService<SecretWatchers>();

    public static async Task<RunningServer> StartAsync(PostgresFixture postgres, Func<ServerSettings, ServerSettings>? configure = null, params string[] secrets)
    {
        var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        foreach (var secret in secrets.Length == 0 ? [Secret] : secrets)
        {
            (await sandbox.RunAsync("secret", "add", secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"))).Ok();
        }

        return await OpenAsync(sandbox, configure);
    }

    /// <summary>Serves an existing sandbox's store.</summary>
    public static async Task<RunningServer> OpenAsync(CliSandbox sandbox, Func<ServerSettings, ServerSettings>? configure = null)
    {
        // The store uses the key for as long as it is open: disposed with the server.
        var key = await MasterKey.ReadFileAsync(sandbox.KeyPath, TestContext.Current.CancellationToken);
        var store = await SqliteSecretStore.OpenAsync(sandbox.StorePath, key, sandbox.Time, null, TestContext.Current.CancellationToken);
        var settings = new ServerSettings { Listen = ListenAddress.Parse("http://127.0.0.1:0", tls: false) };
        settings = configure?.Invoke(settings) ?? settings;
        var connector = new TargetConnector();
        var warnings = new StringWriter();
        var app = ServerApp.Build(settings, store, connector, sandbox.Time, warnings);
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new RunningServer(sandbox, store, connector, app, warnings) { _key = key };
    }

    /// <summary>A new token with these policies (e.g. <c>read:orders/*</c>), as <c>token create</c> makes it.</summary>
    public async Task<string> TokenAsync(params string[] policies) => await TokenAsync(null, policies);

    public async Task<string> TokenAsync(TimeSpan? ttl, params string[] policies)
    {
        var (text, _) = await new Tokens(Store, Sandbox.Time).CreateAsync(Unique.Name("tok").Replace('_', '-'), [.. policies.Select(TokenPolicy.Parse)], ttl, TestContext.Current.CancellationToken);
        return text.Reveal();
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, HttpContent? content = null, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        configure?.Invoke(request);
        return await Http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public Task<HttpResponseMessage> GetAsync(string path, string? token) => SendAsync(HttpMethod.Get, path, token);

    public Task<HttpResponseMessage> PostAsync(string path, string? token, string? json = null) =>
        SendAsync(HttpMethod.Post, path, token, json is null ? null : new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

    /// <summary>The error code of an ErrorResponse body, asserting the shape.</summary>
    public static async Task<string> ErrorCodeAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = (await JsonAsync(response)).GetProperty("error");
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        return error.GetProperty("code").GetString()!;
    }

    /// <summary>The current version number of <paramref name="secret"/> in the store.</summary>
    public async Task<int> CurrentVersionAsync(string secret = Secret) =>
        (await Store.FindVersionAsync(secret, Secrets.Stage.Current, TestContext.Current.CancellationToken))!.Number;

    /// <summary>Stops serving and closes the store, keeping the sandbox: <see cref="OpenAsync"/> can serve it again (same port, same store).</summary>
    public async ValueTask StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        Http.Dispose();
        await App.StopAsync(CancellationToken.None);
        await App.DisposeAsync();
        await Store.DisposeAsync();
        await Connector.DisposeAsync();
        _key?.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Sandbox.Dispose();
    }
}

using System.Threading.Channels;
using PgRotate.Cli;
using PgRotate.Cli.Commands.Agent;
using PgRotate.Contracts;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Agent;

/// <summary>
/// An agent fed from channels instead of the server (one per secret), with credentials read from a real store through
/// 'pgrotate get': the rendering, writing and hooks are tested on real credentials that really log in.
/// </summary>
internal sealed class AgentSetup
{
    private readonly Dictionary<string, Channel<Credential>> _channels = new(StringComparer.Ordinal);

    public AgentSetup(CliSandbox sandbox)
    {
        Sandbox = sandbox;
        Host = new CliHost(TextWriter.Null, TextWriter.Null, TextReader.Null, _ => null, sandbox.Directory, TimeProvider.System);
    }

    public CliSandbox Sandbox { get; }
    public CliHost Host { get; }
    public LogLines Log { get; } = new();
    public LogLines Warnings { get; } = new();

    public string PathOf(string file) => Path.Combine(Sandbox.Directory, file);

    /// <summary>A secret set up in the sandbox's store (alternating, its own group).</summary>
    public async Task<string> AddSecretAsync()
    {
        var name = "agent/" + Unique.Name("s");
        (await Sandbox.RunAsync("secret", "add", name, "--target", Sandbox.TargetName, "--group", Unique.Name("g"))).Ok();
        return name;
    }

    /// <summary>The secret's current credential, as the server would hand it out.</summary>
    public async Task<Credential> CurrentAsync(string secret) =>
        PgRotateJson.Deserialize<Credential>((await Sandbox.RunAsync("get", secret)).Ok())!;

    public async Task<Credential> RotateAsync(string secret)
    {
        (await Sandbox.RunAsync("rotate", secret, "--force")).Ok();
        return await CurrentAsync(secret);
    }

    /// <summary>Hands <paramref name="credential"/> to the agent as the server's next answer for its secret.</summary>
    public ValueTask SendAsync(Credential credential) => Channel(credential.Name).Writer.WriteAsync(credential, TestContext.Current.CancellationToken);

    public AgentRunner Runner(IEnumerable<AgentOutput> outputs, ExecHook? exec = null, PgBouncerReload? pgBouncer = null) =>
        new(RenderedFile.Group(outputs), Watch, Log, Warnings) { Exec = exec, PgBouncer = pgBouncer };

    public Task<AgentOutput> RenderAsync(string spec) => AgentOutput.ParseRenderAsync(spec, Host, TestContext.Current.CancellationToken);

    private Channel<Credential> Channel(string secret)
    {
        lock (_channels)
        {
            return _channels.TryGetValue(secret, out var channel) ? channel : _channels[secret] = System.Threading.Channels.Channel.CreateUnbounded<Credential>();
        }
    }

    private IAsyncEnumerable<Credential> Watch(string secret, CancellationToken cancellationToken) => Channel(secret).Reader.ReadAllAsync(cancellationToken);
}

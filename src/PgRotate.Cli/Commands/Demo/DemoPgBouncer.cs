using PgRotate.Contracts;
using PgRotate.Local;

namespace PgRotate.Cli.Commands.Demo;

/// <summary>
/// The pgbouncer leg of the demo: a throwaway pgbouncer in the demo's scratch folder whose <c>[databases]</c> line the
/// agent keeps current (and reloads by SIGHUP), and pgbench clients that stay connected to it for the whole run.
/// Transaction pooling and a one-second server_lifetime make pgbouncer keep opening new server connections while the
/// clients stay, each with whatever login the agent wrote last, so the rotations really reach PostgreSQL through it.
/// </summary>
internal sealed class DemoPgBouncer : IAsyncDisposable
{
    /// <summary>The database name clients give pgbouncer; its line in the include names the demo's real database.</summary>
    public const string Alias = "demo";

    private const int Clients = 4;
    private const int RatePerSecond = 400;
    private static readonly TimeSpan ServerLifetime = TimeSpan.FromSeconds(1);

    private readonly ThrowawayPgBouncer _bouncer;

    private DemoPgBouncer(ThrowawayPgBouncer bouncer, PgBenchRunner pgBench)
    {
        _bouncer = bouncer;
        PgBench = pgBench;
        ServerLogins = new PgBouncerServerLogins(bouncer.LogFile);
    }

    public PgBenchRunner PgBench { get; }
    public PgBouncerServerLogins ServerLogins { get; }
    public string DatabasesFile => _bouncer.DatabasesFile;
    public string Address => $"{_bouncer.Host}:{_bouncer.Port}";
    public double ServerLifetimeSeconds => ServerLifetime.TotalSeconds;

    /// <summary>What the agent is given to keep pgbouncer current, as on its command line.</summary>
    public IReadOnlyList<string> AgentArguments =>
        ["--pgbouncer-databases", $"{DemoEnvironment.SecretName}:{Alias}:{_bouncer.DatabasesFile}", "--pgbouncer-pidfile", _bouncer.PidFile];

    public static async Task<DemoPgBouncer> StartAsync(string program, string pgBench, string scratch, string script, TimeProvider time, CancellationToken cancellationToken)
    {
        var bouncer = await ThrowawayPgBouncer.StartAsync(
            new ThrowawayPgBouncerOptions(ServerLifetime) { Program = program, ParentDirectory = scratch, TransactionPooling = true }, cancellationToken);
        var runner = new PgBenchRunner("pgbouncer", pgBench, new Dictionary<string, string>(), bouncer.LibpqConnection(Alias), script, Clients,
            newConnectionPerTransaction: false, RatePerSecond, time);
        return new DemoPgBouncer(bouncer, runner);
    }

    /// <summary>This leg's figures: pgbench's, what the agent wrote, and pgbouncer's logins to PostgreSQL per login.</summary>
    public async Task<DemoPgBench> SummaryAsync(TimeSpan ran, InProcessAgent agent, CancellationToken cancellationToken)
    {
        var (logins, refused) = await ServerLogins.ReadAsync(cancellationToken);
        return PgBench.Summary(ran) with
        {
            File = DatabasesFile,
            FileVersion = agent.LastVersion(DatabasesFile),
            FileWrites = agent.Writes(DatabasesFile),
            ServerLogins = logins,
            ServerLoginsFailed = refused,
        };
    }

    public async ValueTask DisposeAsync()
    {
        ServerLogins.Dispose();
        await _bouncer.DisposeAsync();
    }
}

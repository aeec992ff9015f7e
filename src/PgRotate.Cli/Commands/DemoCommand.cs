using System.CommandLine;
using PgRotate.Cli.Commands.Demo;
using PgRotate.Cli.Output;
using PgRotate.Contracts;
using PgRotate.Errors;
using PgRotate.Local;
using PgRotate.Scheduling;
using PgRotate.Secrets;

namespace PgRotate.Cli.Commands;

/// <summary>
/// <c>pgrotate demo</c>: the live showcase. On a throwaway PostgreSQL, a temporary store and the server in this
/// process, .NET workers query through the client data source and pgbench opens a new connection per transaction from
/// a service file kept current, while the secret rotates through the API every second; a live table (plain progress
/// lines when output is not a terminal), then a summary with the pattern's checks. Leaves nothing behind.
/// </summary>
public static class DemoCommand
{
    /// <summary>Ctrl-C: the summary is still printed, then the exit code every command gives when interrupted.</summary>
    private const int Interrupted = 130;

    public static Command Create(CommandFactory commands)
    {
        var workers = new Option<int>("--workers")
        {
            Description = ".NET workers querying through the client data source, each with its own (1 to 64)",
            DefaultValueFactory = _ => 8,
            CustomParser = result => WholeNumbers.Parse(result, "--workers", 1, 64),
        };
        var rotateEvery = new Option<string>("--rotate-every") { Description = "Pause between rotations through the API, 1s to 1h", DefaultValueFactory = _ => "1s" };
        var duration = new Option<string>("--duration") { Description = "How long the consumers run while the secret rotates, 1s to 24h", DefaultValueFactory = _ => "20s" };
        var strategy = new Option<string>("--strategy") { Description = "alternating (two logins take turns: nothing fails) or single (one login's password changes in place: new connections fail until clients catch up)", DefaultValueFactory = _ => "alternating" };
        strategy.AcceptOnlyFromAmong("alternating", "single");
        var noClientRetry = new Option<bool>("--no-client-retry") { Description = "The client data source does not retry an open refused for its credential, to show what the retry saves" };
        var noPooling = new Option<bool>("--no-pooling") { Description = "Every worker query opens a new connection (a new login), as pgbench -C does, instead of reusing pooled ones: the hardest case for a rotation" };
        var pgBouncer = new Option<bool>("--pgbouncer") { Description = "Also run pgbench through a throwaway pgbouncer whose [databases] line the agent keeps current (the default when pgbouncer is installed; an error when it is not)" };
        var noPgBouncer = new Option<bool>("--no-pgbouncer") { Description = "Do not run the pgbouncer leg" };
        var binDir = new Option<string?>("--pg-bindir") { Description = $"PostgreSQL server programs to use (default: ${PostgresBinaries.BinDirVariable}, else the newest in /usr/lib/postgresql)" };
        return commands.Command("demo",
            "Show zero-downtime rotation live: a throwaway PostgreSQL, a temporary SQLite store and the server in this process; .NET workers and pgbench -C keep connecting while the secret rotates every second; a summary at the end. Leaves nothing behind",
            async (context, parse, cancellationToken) =>
            {
                // Everything is checked before anything starts.
                var options = new DemoOptions(
                    parse.GetValue(workers),
                    Bounded(parse.GetValue(rotateEvery), "--rotate-every", TimeSpan.FromHours(1)),
                    Bounded(parse.GetValue(duration), "--duration", TimeSpan.FromDays(1)),
                    StrategyNames.Parse(parse.GetValue(strategy)!),
                    ClientRetry: !parse.GetValue(noClientRetry),
                    Pooling: !parse.GetValue(noPooling),
                    PgBouncerProgram(context, parse.GetValue(pgBouncer), parse.GetValue(noPgBouncer)),
                    parse.GetValue(binDir));
                var terminal = ReferenceEquals(context.Out, Console.Out) && !Console.IsOutputRedirected;
                var summary = await RunAsync(context, options, terminal, cancellationToken);
                if (context.Json)
                {
                    await context.Out.WriteLineAsync(JsonOutput.Serialize(summary));
                }
                else
                {
                    await SummaryReport.WriteAsync(context.Out, summary);
                }

                return await ExitCodeAsync(context, summary);
            }, workers, rotateEvery, duration, strategy, noClientRetry, noPooling, pgBouncer, noPgBouncer, binDir);
    }

    private static Task<DemoSummary> RunAsync(CliContext context, DemoOptions options, bool terminal, CancellationToken cancellationToken) =>
        new DemoRun(context, options, terminal).RunAsync(cancellationToken);

    /// <summary>
    /// Non-zero when a rotation failed, or when anything failed with the alternating strategy (where nothing may);
    /// failures with a single secret are what it is there to show.
    /// </summary>
    private static async Task<int> ExitCodeAsync(CliContext context, DemoSummary summary)
    {
        if (summary.Interrupted)
        {
            await context.Host.Error.WriteLineAsync("pgrotate: cancelled (the summary above covers the time it ran)");
            return Interrupted;
        }

        if (summary.RotationsFailed > 0 || (summary.Strategy == RotationStrategy.Alternating && summary.Failures > 0))
        {
            await context.Host.Error.WriteLineAsync(
                $"pgrotate: demo: {summary.Failures} failed queries, transactions or connections and {summary.RotationsFailed} failed rotations with the {PgRotateJson.WireName(summary.Strategy)} strategy");
            return ExitCodes.Failure;
        }

        return ExitCodes.Ok;
    }

    /// <summary>
    /// The pgbouncer for the pgbouncer leg: on by default when one is installed, off with --no-pgbouncer; asked for with
    /// --pgbouncer and not installed, an error before anything starts.
    /// </summary>
    private static string? PgBouncerProgram(CliContext context, bool asked, bool refused)
    {
        if (asked && refused)
        {
            throw PgRotateException.InvalidInput("give --pgbouncer or --no-pgbouncer, not both");
        }

        var program = refused ? null : ThrowawayPgBouncer.FindProgram(context.Host.Environment);
        return asked && program is null
            ? throw new PgRotateException(ErrorCode.EnvironmentError, $"--pgbouncer: {ThrowawayPgBouncer.NotInstalled}")
            : program;
    }

    private static TimeSpan Bounded(string? text, string option, TimeSpan max)
    {
        var value = Durations.Parse(text, option);
        return value >= TimeSpan.FromSeconds(1) && value <= max
            ? value
            : throw PgRotateException.InvalidInput($"{option} takes a duration from 1s to {Durations.Format(max)}, not {text}");
    }
}

using System.Globalization;
using Spectre.Console;

namespace PgRotate.Cli.Commands.Demo;

/// <summary>
/// What the demo shows while it runs: on a terminal a table redrawn four times a second (rotations, current login,
/// each worker's login and queries, pgbench, pgbouncer's logins to PostgreSQL, latency and switch-over percentiles);
/// otherwise (a pipe, CI, a test) one plain progress line a second, which reads well in a log.
/// </summary>
internal sealed class LiveView(DemoConsumers consumers, TextWriter output, bool terminal, TimeProvider time)
{
    private static readonly TimeSpan TerminalRefresh = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LineInterval = TimeSpan.FromSeconds(1);

    /// <summary>Shows progress until <paramref name="cancellationToken"/> is cancelled (the run ended or was interrupted).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        if (terminal)
        {
            var table = new Table();
            table.AddColumns("consumer", "login in use", "ok", "failed", "notes");
            await AnsiConsole.Live(table).AutoClear(false).StartAsync(async live =>
            {
                do
                {
                    Fill(table, time.GetElapsedTime(started), await PgBouncerLoginsAsync());
                    live.Refresh();
                }
                while (await WaitAsync(TerminalRefresh, cancellationToken));

                Fill(table, time.GetElapsedTime(started), await PgBouncerLoginsAsync());
                live.Refresh();
            });
            return;
        }

        while (await WaitAsync(LineInterval, cancellationToken))
        {
            await output.WriteLineAsync(Line(time.GetElapsedTime(started), await PgBouncerLoginsAsync()));
        }
    }

    private async Task<bool> WaitAsync(TimeSpan pause, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(pause, time, cancellationToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>pgbouncer's logins to PostgreSQL so far, per login (e.g. <c>app_a 12, app_b 11</c>); null without pgbouncer.</summary>
    private async Task<string?> PgBouncerLoginsAsync()
    {
        if (consumers.PgBouncer is not { } pgBouncer)
        {
            return null;
        }

        // Not tied to the view's stop: the last redraw after the run still reads the log.
        var (logins, refused) = await pgBouncer.ServerLogins.ReadAsync(CancellationToken.None);
        return string.Join(", ", logins.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key} {Count(l.Value)}"))
            + (refused > 0 ? $", {Count(refused)} refused" : "");
    }

    private string Line(TimeSpan elapsed, string? pgBouncerLogins)
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"  {elapsed.TotalSeconds,5:0.0}s  rotations {consumers.Driver.Done} (login {consumers.Driver.CurrentLogin})  queries {consumers.QueriesOk} ok {consumers.QueriesFailed} failed, p99 {consumers.Latencies.PercentileMs(99):0.0} ms");
        foreach (var bench in consumers.PgBench)
        {
            line += string.Create(CultureInfo.InvariantCulture, $"  pgbench ({bench.Via}) {bench.Tps:0} tps {bench.TransactionsFailed + bench.ConnectionsFailed} failed");
        }

        if (pgBouncerLogins is not null)
        {
            line += $"  pgbouncer logins {pgBouncerLogins}";
        }

        if (consumers.SwitchOver?.Summary() is { Samples: > 0 } switchOver)
        {
            line += string.Create(CultureInfo.InvariantCulture, $"  switch-over p99 {switchOver.P99Ms:0.0} ms");
        }

        return line;
    }

    private void Fill(Table table, TimeSpan elapsed, string? pgBouncerLogins)
    {
        table.Rows.Clear();
        var switchOver = consumers.SwitchOver?.Summary();
        table.Title = new TableTitle(string.Create(CultureInfo.InvariantCulture,
            $"pgrotate demo  {elapsed.TotalSeconds:0.0}s  rotations {consumers.Driver.Done} ({consumers.Driver.Failed} failed)  current login {consumers.Driver.CurrentLogin}"));
        foreach (var worker in consumers.Workers)
        {
            table.AddRow(
                $".NET worker {worker.Index + 1}", Markup.Escape(worker.Login ?? "-"), Count(worker.Ok), Failed(worker.Failed),
                Markup.Escape(worker.Failed > 0 ? worker.LastError ?? "" : $"{worker.LoginChanges} login changes"));
        }

        foreach (var bench in consumers.PgBench)
        {
            var throughPgBouncer = bench == consumers.PgBouncer?.PgBench;
            table.AddRow(Markup.Escape(bench.Label), Markup.Escape(throughPgBouncer ? consumers.PgBouncer!.ServerLogins.LastLogin ?? "-" : "(file)"),
                Count(bench.TransactionsOk), Failed(bench.TransactionsFailed + bench.ConnectionsFailed),
                Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{bench.Tps:0} tps, {bench.ConnectionsFailed} connections failed")
                    + (throughPgBouncer ? $"; pgbouncer's logins: {pgBouncerLogins}" : "")));
        }

        var queries = string.Create(CultureInfo.InvariantCulture, $"query p50 {consumers.Latencies.PercentileMs(50):0.00} ms, p99 {consumers.Latencies.PercentileMs(99):0.00} ms");
        table.Caption = new TableTitle(switchOver is null
            ? queries
            : queries + string.Create(CultureInfo.InvariantCulture, $"   switch-over p50 {switchOver.P50Ms:0.0} ms, p99 {switchOver.P99Ms:0.0} ms ({switchOver.Samples} rotations)"));
    }

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Failed(long value) => value == 0 ? "[green]0[/]" : $"[red]{Count(value)}[/]";
}

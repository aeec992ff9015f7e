using System.Globalization;
using PgRotate.Contracts;

namespace PgRotate.Cli.Commands.Demo;

/// <summary>The summary at the end of a demo, for people (<c>--json</c> prints the <see cref="DemoSummary"/> itself).</summary>
internal static class SummaryReport
{
    public static async Task WriteAsync(TextWriter o, DemoSummary s)
    {
        var strategy = PgRotateJson.WireName(s.Strategy);
        await o.WriteLineAsync();
        await o.WriteLineAsync(F($"summary: {strategy} secret, client retry {(s.ClientRetry ? "on" : "off")}, {s.DurationSeconds:0.0} s{(s.Interrupted ? " (interrupted)" : "")}, rotating every {s.RotateEverySeconds:0.###} s"));
        await o.WriteLineAsync(F($"  rotations     {s.Rotations} through the API, {s.RotationsFailed} failed; current login {s.CurrentLogin}"));
        var changed = s.Workers.Count(w => w.LoginChanges > 0);
        await o.WriteLineAsync(F($"  .NET workers  {s.Workers.Count} (one client data source each, {(s.Pooling ? "pooled" : "a new connection per query")}): {s.Queries.Ok:N0} queries ok, {s.Queries.Failed:N0} failed; p50 {s.Queries.P50Ms:0.00} ms, p99 {s.Queries.P99Ms:0.00} ms; {changed} of {s.Workers.Count} changed login"));
        if (s.PgBench is { } bench)
        {
            await o.WriteLineAsync(F($"  pgbench -C    {bench.Via}: {Figures(bench)}"));
        }
        else
        {
            await o.WriteLineAsync("  pgbench       not run: no pgbench found beside the PostgreSQL programs or on PATH");
        }

        if (s.PgBouncer is { } bouncer)
        {
            var logins = string.Join(", ", (bouncer.ServerLogins ?? new Dictionary<string, long>()).OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => F($"{l.Key} {l.Value:N0} times")));
            await o.WriteLineAsync(F($"  pgbouncer     pgbench through it: {Figures(bouncer)}"));
            await o.WriteLineAsync(F($"    logins      pgbouncer logged in to PostgreSQL as {(logins.Length == 0 ? "nobody" : logins)} ({bouncer.ServerLoginsFailed ?? 0:N0} refused); the agent wrote its databases line {bouncer.FileWrites ?? 0} times, last version {bouncer.FileVersion}"));
        }
        else
        {
            await o.WriteLineAsync("  pgbouncer     not run (--no-pgbouncer, or no pgbouncer or pgbench installed)");
        }

        if (s.SwitchOver is { } so)
        {
            await o.WriteLineAsync(F($"  switch-over   p50 {so.P50Ms:0.0} ms, p99 {so.P99Ms:0.0} ms, max {so.MaxMs:0.0} ms over {so.Samples} rotations (from the API's answer until every worker's new connections used the new login; goal p99 < 100 ms){(so.Incomplete > 0 ? F($"; {so.Incomplete} not caught up before the next rotation") : "")}"));
            if (s.Notification is { } heard)
            {
                await o.WriteLineAsync(F($"    of which    p50 {heard.P50Ms:0.0} ms, p99 {heard.P99Ms:0.0} ms until every data source had heard of it (the long-poll); the rest is opening a connection as the new login"));
            }
        }
        else
        {
            await o.WriteLineAsync("  switch-over   not measured: a single secret keeps its login, only the password changes");
        }

        var c = s.Checks;
        await o.WriteLineAsync($"  the pattern   current {c.CurrentLogin} {LogsIn(c.CurrentLogsIn, c.CurrentTableOwner)}" +
            (c.PreviousLogin is null ? "; no previous login (a single secret retires the old password at once)" : $"; previous {c.PreviousLogin} {LogsIn(c.PreviousLogsIn == true, c.PreviousTableOwner)} (its grace)"));
        await o.WriteLineAsync(F($"  server log    {c.PasswordsInServerLog} of {c.PasswordsGenerated} generated passwords in it (log_statement=all; pgrotate sends only SCRAM verifiers)"));
        await o.WriteLineAsync(s.Failures == 0
            ? "  result        no failed query, transaction or connection"
            : F($"  result        {s.Failures:N0} failures{(s.Strategy == RotationStrategy.Single ? " (expected with a single secret: its old password stops working the moment it rotates)" : "")}"));
    }

    private static string Figures(DemoPgBench b) =>
        F($"{b.TransactionsOk:N0} transactions ok, {b.TransactionsFailed:N0} failed, {b.ConnectionsFailed:N0} connections failed ({b.Tps:0} tps)");

    private static string LogsIn(bool logsIn, string? owner) =>
        logsIn ? $"logs in, and a table it creates is owned by {owner}" : "is refused";

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using PgRotate.Contracts;

namespace PgRotate.Cli.Commands.Demo;

/// <summary>
/// pgbench with a one-query script, in one of two ways. <c>pgbench -C</c> (a new connection, so a new login, for every
/// transaction) through a libpq service (<c>PGSERVICEFILE</c> and <c>service=NAME</c> as the database argument, since
/// pgbench would otherwise name a database of its own that overrides the service's): libpq reads the service file at
/// every connection, so each transaction uses whatever the file holds at that moment. Or clients that stay connected
/// (to pgbouncer), at a fixed total rate so that they do not take the machine from the other consumers. pgbench stops a
/// client whose connection fails or whose query gets an error, and ends the run when none is left; the run is then
/// started again for the time that remains, so a failure costs one counted connection, not the rest of the demo.
/// </summary>
/// <param name="ratePerSecond">Transactions per second for all clients together (pgbench -R); null: as fast as they go.</param>
internal sealed partial class PgBenchRunner(
    string via, string program, IReadOnlyDictionary<string, string> environment, string connectTo, string scriptFile, int clients,
    bool newConnectionPerTransaction, int? ratePerSecond, TimeProvider time)
{
    private long _ok;
    private long _failed;
    private long _connectionsFailed;
    private double _tps;

    public string Via => via;

    /// <summary>How the live view and the summary name this consumer, e.g. <c>pgbench -C (service file)</c>.</summary>
    public string Label => $"pgbench{(newConnectionPerTransaction ? " -C" : "")} ({via})";

    public int Clients => clients;
    public long TransactionsOk => Interlocked.Read(ref _ok);
    public long TransactionsFailed => Interlocked.Read(ref _failed);
    public long ConnectionsFailed => Interlocked.Read(ref _connectionsFailed);

    /// <summary>Transactions per second in pgbench's latest progress report.</summary>
    public double Tps => Volatile.Read(ref _tps);

    /// <summary>The last error pgbench printed, to show why a run failed.</summary>
    public string? LastError { get; private set; }

    /// <summary>Runs pgbench until <paramref name="until"/> (a <see cref="TimeProvider.GetTimestamp"/>) or until stopped.</summary>
    public async Task RunAsync(long until, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var remaining = (int)Math.Floor((time.GetElapsedTime(time.GetTimestamp(), until)).TotalSeconds);
            if (remaining < 1)
            {
                return;
            }

            await RunOnceAsync(remaining, cancellationToken);
        }
    }

    private async Task RunOnceAsync(int seconds, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])["-n", .. newConnectionPerTransaction ? ["-C"] : Array.Empty<string>(),
                     .. ratePerSecond is { } rate ? ["-R", rate.ToString(CultureInfo.InvariantCulture)] : Array.Empty<string>(),
                     "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", "1",
                     "-T", seconds.ToString(CultureInfo.InvariantCulture), "-P", "1", "-f", scriptFile, connectTo])
        {
            start.ArgumentList.Add(argument);
        }

        // Only the service file says where to connect and as whom: nothing from the caller's PG* or pgrotate variables.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("PG", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var errors = ReadErrorsAsync(process.StandardError);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // pgbench has no way to stop early and still report (on SIGINT it just ends): its progress reports
            // stand in for the final count of this last run.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }

        Count(await output, await errors);
    }

    private async Task<(string Text, long ProgressOk, long ProgressFailed)> ReadErrorsAsync(StreamReader errors)
    {
        var all = new System.Text.StringBuilder();
        double ok = 0;
        long failed = 0;
        var lastAt = 0.0;
        while (await errors.ReadLineAsync(CancellationToken.None) is { } line)
        {
            all.AppendLine(line);
            if (Progress().Match(line) is { Success: true } progress)
            {
                var tps = double.Parse(progress.Groups["tps"].Value, CultureInfo.InvariantCulture);
                var at = double.Parse(progress.Groups["at"].Value, CultureInfo.InvariantCulture);
                Volatile.Write(ref _tps, tps);
                ok += tps * (at - lastAt);
                lastAt = at;
                failed += progress.Groups["failed"].Success ? long.Parse(progress.Groups["failed"].Value, CultureInfo.InvariantCulture) : 0;
            }
            else if (line.Contains("error", StringComparison.OrdinalIgnoreCase) || line.Contains("FATAL", StringComparison.Ordinal))
            {
                LastError = line.Trim();
            }
        }

        return (all.ToString(), (long)Math.Round(ok), failed);
    }

    private void Count(string output, (string Text, long ProgressOk, long ProgressFailed) errors)
    {
        if (Processed().Match(output) is { Success: true } processed)
        {
            Interlocked.Add(ref _ok, long.Parse(processed.Groups["n"].Value, CultureInfo.InvariantCulture));
            if (FailedTransactions().Match(output) is { Success: true } failed)
            {
                Interlocked.Add(ref _failed, long.Parse(failed.Groups["n"].Value, CultureInfo.InvariantCulture));
            }
        }
        else
        {
            // Stopped before its report (the demo was interrupted): what the progress reports counted so far.
            Interlocked.Add(ref _ok, errors.ProgressOk);
            Interlocked.Add(ref _failed, errors.ProgressFailed);
        }

        // A client whose connection fails is aborted; a run whose first (setup) connection fails does not start at all.
        var aborted = AbortedClient().Count(errors.Text) + SetupFailed().Count(errors.Text);
        Interlocked.Add(ref _connectionsFailed, aborted);
    }

    // With -R a lag figure follows the failures, so they are looked for anywhere after the rate.
    [GeneratedRegex(@"^progress: (?<at>[0-9.]+) s, (?<tps>[0-9.]+) tps(?:.*?, (?<failed>[0-9]+) failed)?")]
    private static partial Regex Progress();

    [GeneratedRegex(@"number of transactions actually processed: (?<n>[0-9]+)")]
    private static partial Regex Processed();

    [GeneratedRegex(@"number of failed transactions: (?<n>[0-9]+)")]
    private static partial Regex FailedTransactions();

    [GeneratedRegex(@"client [0-9]+ aborted")]
    private static partial Regex AbortedClient();

    [GeneratedRegex(@"could not create connection for (setup|initializing|client)")]
    private static partial Regex SetupFailed();

    /// <summary>This consumer's figures for the summary, its rate over the whole run.</summary>
    public DemoPgBench Summary(TimeSpan ran) => new(Via, TransactionsOk, TransactionsFailed, ConnectionsFailed, ran > TimeSpan.Zero ? TransactionsOk / ran.TotalSeconds : 0);
}

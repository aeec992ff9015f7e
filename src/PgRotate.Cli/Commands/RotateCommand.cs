using System.CommandLine;
using Microsoft.Extensions.Logging;
using System.Globalization;
using PgRotate.Cli.Output;
using PgRotate.Errors;
using PgRotate.Rotation;
using PgRotate.Secrets;

namespace PgRotate.Cli.Commands;

/// <summary><c>pgrotate rotate NAME | --all-due</c>.</summary>
public static class RotateCommand
{
    public static Command Create(CommandFactory commands)
    {
        var name = new Argument<string?>("name") { Description = "Secret to rotate", Arity = ArgumentArity.ZeroOrOne };
        var allDue = new Option<bool>("--all-due") { Description = "Rotate every secret whose scheduled time has come" };
        var wait = new Option<string?>("--wait") { Description = "If another process is rotating the secret, wait this long for it (e.g. 30s) instead of failing at once" };
        var parallel = new Option<int>("--parallel") { Description = "With --all-due: how many rotations run at once", DefaultValueFactory = _ => 4 };
        return commands.Command("rotate",
            "Rotate a secret now: new password stored first, set on the inactive login as a SCRAM verifier, tested by a fresh login, then promoted; the previous login keeps working for its grace period. Resumes an interrupted rotation",
            async (context, parse, cancellationToken) =>
            {
                var one = parse.GetValue(name);
                if (one is null == !parse.GetValue(allDue))
                {
                    throw PgRotateException.InvalidInput("give a secret name or --all-due (not both)");
                }

                if (parse.GetValue(parallel) is < 1 or > 64)
                {
                    throw PgRotateException.InvalidInput("--parallel takes a number from 1 to 64");
                }

                var secretName = one is null ? null : SecretName.ParseSecret(one);
                var options = new RotationOptions { LockWait = parse.GetValue(wait) is { } w ? Scheduling.Durations.Parse(w, "--wait") : null };
                var store = await context.OpenStoreAsync(cancellationToken);
                var engine = new RotationEngine(store, context.Connector, context.Time, options, FaultInjection.Hooks(context.Host), context.Logging.CreateLogger<RotationEngine>());
                if (secretName is not null)
                {
                    await TargetCommands.WarnAboutTransportAsync(context, store, [secretName], cancellationToken);
                    var result = await engine.RotateAsync(secretName, cancellationToken);
                    await WriteAsync(context, [result]);
                    return ExitCodes.Ok;
                }

                var repaired = await engine.RepairGraceAsync(cancellationToken);
                if (repaired > 0 && !context.Json)
                {
                    await context.Out.WriteLineAsync($"applied {repaired} grace end(s) that an interrupted run had not set on the server");
                }

                var due = await engine.DueAsync(cancellationToken);
                await TargetCommands.WarnAboutTransportAsync(context, store, due.Select(s => s.Name), cancellationToken);
                var results = new List<RotationResult>();
                var failures = new List<string>();
                await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = parse.GetValue(parallel), CancellationToken = cancellationToken }, async (secret, ct) =>
                {
                    try
                    {
                        var result = await engine.RotateAsync(secret.Name, ct);
                        lock (results) results.Add(result);
                    }
                    catch (PgRotateException e)
                    {
                        lock (failures) failures.Add($"{secret.Name}: {e.Message}");
                    }
                });
                await WriteAsync(context, results.OrderBy(r => r.Secret, StringComparer.Ordinal).ToList());
                if (!context.Json && due.Count == 0)
                {
                    await context.Out.WriteLineAsync("no secret is due for rotation");
                }

                foreach (var failure in failures.Order(StringComparer.Ordinal))
                {
                    await context.Host.Error.WriteLineAsync($"pgrotate: {failure}");
                }

                return failures.Count == 0 ? ExitCodes.Ok : ExitCodes.For(ErrorCode.RotationFailed);
            }, name, allDue, wait, parallel);
    }

    private static async Task WriteAsync(CliContext context, IReadOnlyList<RotationResult> results)
    {
        if (context.Json)
        {
            await context.Out.WriteLineAsync(JsonOutput.Serialize(results.Select(r => new
            {
                name = r.Secret, version = r.Version, username = r.Username, previousUsername = r.PreviousUsername,
                previousValidUntil = r.PreviousValidUntil, resumed = r.Resumed, elapsedMs = Math.Round(r.Elapsed.TotalMilliseconds, 1),
            })));
            return;
        }

        foreach (var r in results)
        {
            var previous = r.PreviousUsername is null ? "" :
                $"; previous {r.PreviousUsername} valid until {r.PreviousValidUntil?.ToString("u", CultureInfo.InvariantCulture) ?? "the next rotation"}";
            await context.Out.WriteLineAsync(
                $"rotated {r.Secret}: version {r.Version}, current login {r.Username}{previous} ({r.Elapsed.TotalMilliseconds:0} ms{(r.Resumed ? ", resumed an interrupted rotation" : "")})");
        }
    }
}

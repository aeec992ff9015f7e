using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using PgRotate.Cli.Output;
using PgRotate.Errors;
using PgRotate.Rotation;
using PgRotate.Scheduling;
using PgRotate.Secrets;
using PgRotate.Wire;

namespace PgRotate.Cli.Commands;

/// <summary><c>pgrotate rotate NAME [--grace D | --revoke-previous [--terminate]] [--force] | --all-due</c>.</summary>
public static class RotateCommand
{
    public static Command Create(CommandFactory commands)
    {
        var name = new Argument<string?>("name") { Description = "Secret to rotate", Arity = ArgumentArity.ZeroOrOne };
        var allDue = new Option<bool>("--all-due") { Description = "Rotate every secret whose scheduled time has come (run it from cron or a systemd timer)" };
        var wait = new Option<string?>("--wait") { Description = "If another process is rotating the secret, wait this long for it (e.g. 30s) instead of failing at once" };
        var parallel = new Option<int>("--parallel")
        {
            Description = "With --all-due: how many rotations run at once (1 to 64)",
            DefaultValueFactory = _ => 4,
            CustomParser = result => WholeNumbers.Parse(result, "--parallel", 1, 64),
        };
        var grace = new Option<string?>("--grace") { Description = "This rotation's grace for the previous login instead of the secret's own (e.g. 10m); must end by the next scheduled rotation" };
        var revokePrevious = new Option<bool>("--revoke-previous") { Description = "After a leak: the previous login stops working at once (VALID UNTIL in the past) instead of getting a grace; also while a grace is running" };
        var terminate = new Option<bool>("--terminate") { Description = "With --revoke-previous: also end the open sessions on the old credentials (needs superuser or pg_signal_backend)" };
        var force = new Option<bool>("--force") { Description = "Rotate even though the previous login is still inside its grace (its clients lose it)" };
        return commands.Command("rotate",
            "Rotate a secret now: new password stored first, set on the inactive login as a SCRAM verifier, tested by a fresh login, then promoted; the previous login keeps working for its grace period. Resumes an interrupted rotation. Refused while the previous login is still inside its grace, unless --force or --revoke-previous",
            async (context, parse, cancellationToken) =>
            {
                var one = parse.GetValue(name);
                if (one is null == !parse.GetValue(allDue))
                {
                    throw PgRotateException.InvalidInput("give a secret name or --all-due (not both)");
                }

                var secretName = one is null ? null : SecretName.ParseSecret(one);
                var request = secretName is null ? null : new RotationRequest(secretName,
                    parse.GetValue(grace) is { } g ? Durations.Parse(g, "--grace") : null,
                    parse.GetValue(revokePrevious), parse.GetValue(terminate), parse.GetValue(force));
                if (request is null && (parse.GetValue(grace) is not null || parse.GetValue(revokePrevious) || parse.GetValue(terminate) || parse.GetValue(force)))
                {
                    throw PgRotateException.InvalidInput("--grace, --revoke-previous, --terminate and --force apply to one named secret, not to --all-due");
                }

                if (request is { TerminateSessions: true, RevokePrevious: false })
                {
                    throw PgRotateException.InvalidInput("--terminate ends the sessions of a revoked login: give it with --revoke-previous");
                }

                if (request is { RevokePrevious: true, Grace: not null })
                {
                    throw PgRotateException.InvalidInput("give --grace or --revoke-previous, not both");
                }

                var options = new RotationOptions { LockWait = parse.GetValue(wait) is { } w ? Durations.Parse(w, "--wait") : null };
                var store = await context.OpenStoreAsync(cancellationToken);
                var engine = new RotationEngine(store, context.Connector, context.Time, options, FaultInjection.Hooks(context.Host), context.Logging.CreateLogger<RotationEngine>());
                if (request is not null)
                {
                    // Two point reads, not a scan of the store: a single rotation is the hot path.
                    var secret = await store.GetSecretAsync(secretName!, cancellationToken);
                    await TargetCommands.WarnAboutTransportAsync(context, [await store.GetTargetAsync(secret.Target, cancellationToken)]);
                    var result = await engine.RotateAsync(request, cancellationToken);
                    await WriteAsync(context, [result]);
                    return ExitCodes.Ok;
                }

                // Every target of a scheduled secret is named once when its transport is weaker than verified TLS.
                var used = (await store.ListSecretsAsync(cancellationToken)).Select(s => s.Target).ToHashSet(StringComparer.Ordinal);
                await TargetCommands.WarnAboutTransportAsync(context, (await store.ListTargetsAsync(cancellationToken)).Where(t => used.Contains(t.Name)));
                var run = await new DueRotations(engine, store, context.Time).RunAsync(parse.GetValue(parallel), cancellationToken);
                await WriteAsync(context, run);
                return run.Failed.Count == 0 ? ExitCodes.Ok : ExitCodes.For(ErrorCode.RotationFailed);
            }, name, allDue, wait, parallel, grace, revokePrevious, terminate, force);
    }

    private static async Task WriteAsync(CliContext context, DueRun run)
    {
        await WriteAsync(context, run.Rotated);
        if (!context.Json)
        {
            var o = context.Out;
            if (run.GraceRepaired.Count > 0)
            {
                await o.WriteLineAsync($"applied {run.GraceRepaired.Count} grace end(s) that an interrupted run had not set on the server");
            }

            foreach (var skipped in run.InProgress)
            {
                await o.WriteLineAsync($"in progress: {skipped} is being rotated by another pgrotate process; skipped");
            }

            foreach (var w in run.WaitingForGrace)
            {
                await o.WriteLineAsync($"waiting: {w.Secret} is due, but its previous login {w.Login} is inside its grace {(w.Until is { } u ? "until " + Time(u) : "with no end (rotate it once with --force)")}");
            }

            if (run.Rotated.Count + run.InProgress.Count + run.WaitingForGrace.Count + run.Failed.Count == 0)
            {
                await o.WriteLineAsync("no secret is due for rotation");
            }
        }

        foreach (var failure in run.Failed)
        {
            var message = failure.Error is PgRotateException known
                ? known.Message
                : $"unexpected error: {Postgres.PostgresErrors.Scrub(failure.Error.Message)} ({failure.Error.GetType().Name})";
            await context.Host.Error.WriteLineAsync($"pgrotate: {failure.Secret}: {CliApp.OneLine(message)}");
        }
    }

    private static string Time(DateTimeOffset time) => time.ToString("u", CultureInfo.InvariantCulture);

    private static async Task WriteAsync(CliContext context, IReadOnlyList<RotationResult> results)
    {
        if (context.Json)
        {
            await context.Out.WriteLineAsync(JsonOutput.Serialize(results.Select(r => r.ToContract())));
            return;
        }

        foreach (var r in results)
        {
            var previous = r.PreviousUsername is null ? ""
                : r.PreviousRevoked ? $"; previous {r.PreviousUsername} revoked (can no longer log in)"
                : $"; previous {r.PreviousUsername} valid until {(r.PreviousValidUntil is { } u ? Time(u) : "the next rotation")}";
            var ended = r.SessionsEnded > 0 ? $"; {r.SessionsEnded} session(s) on old credentials ended" : "";
            await context.Out.WriteLineAsync(
                $"rotated {r.Secret}: version {r.Version}, current login {r.Username}{previous}{ended} ({r.Elapsed.TotalMilliseconds:0} ms{(r.Resumed ? ", resumed an interrupted rotation" : "")})");
        }
    }
}

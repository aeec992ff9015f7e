using System.CommandLine;
using PgRotate.Audit;
using PgRotate.Cli.Output;
using PgRotate.Errors;
using PgRotate.Rotation;
using PgRotate.Scheduling;
using PgRotate.Secrets;

namespace PgRotate.Cli.Commands;

/// <summary>
/// <c>pgrotate secret update NAME</c>: changes when a secret rotates, how long the previous login keeps working, and
/// its check query. What is left out stays as it is; the roles, target and strategy never change here.
/// </summary>
public static class SecretUpdateCommand
{
    /// <summary>How long to wait for a rotation of the secret that is running: the update must not race its finish step.</summary>
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(30);

    public static Command Create(CommandFactory commands)
    {
        var name = new Argument<string>("name") { Description = "Secret name, e.g. orders/app" };
        var every = new Option<string?>("--every") { Description = "Rotate at this interval from now on, e.g. 30d (1m to 3650d)" };
        var cron = new Option<string?>("--cron") { Description = "Rotate on this cron schedule (UTC unless --time-zone or a leading CRON_TZ=Zone), e.g. \"0 3 * * 1\"" };
        var timeZone = new Option<string?>("--time-zone") { Description = "Read --cron and --window in this IANA time zone, e.g. Europe/Paris (UTC to go back)" };
        var window = new Option<string?>("--window") { Description = "Start scheduled rotations only between these daily times, e.g. 02:00-05:00" };
        var noWindow = new Option<bool>("--no-window") { Description = "Rotate at any time of day again" };
        var jitter = new Option<string?>("--jitter") { Description = "Delay each scheduled rotation by a random time below this, e.g. 10m" };
        var noJitter = new Option<bool>("--no-jitter") { Description = "No random delay" };
        var noSchedule = new Option<bool>("--no-schedule") { Description = "Rotate only on demand ('pgrotate rotate NAME')" };
        var grace = new Option<string?>("--grace") { Description = "How long the previous login keeps working after a rotation (at most the time between scheduled rotations)" };
        var noGrace = new Option<bool>("--no-grace") { Description = "Back to the default grace: until the next scheduled rotation, or 24h without a schedule" };
        var checkSql = new Option<string?>("--check-sql") { Description = "A query that must succeed as the new credential before it is promoted" };
        var noCheckSql = new Option<bool>("--no-check-sql") { Description = "Remove the check query" };
        return commands.Command("update",
            "Change a secret's schedule, grace or check query; the next rotation time is recomputed from a new schedule and the change is recorded in its history",
            async (context, parse, cancellationToken) =>
            {
                var secretName = SecretName.ParseSecret(parse.GetValue(name));
                var scheduleGiven = (parse.GetValue(every) is not null ? 1 : 0) + (parse.GetValue(cron) is not null ? 1 : 0) + (parse.GetValue(noSchedule) ? 1 : 0);
                if (scheduleGiven > 1)
                {
                    throw PgRotateException.InvalidInput("give one of --every, --cron and --no-schedule");
                }

                if (parse.GetValue(grace) is not null && parse.GetValue(noGrace))
                {
                    throw PgRotateException.InvalidInput("give --grace or --no-grace, not both");
                }

                if (parse.GetValue(checkSql) is not null && parse.GetValue(noCheckSql))
                {
                    throw PgRotateException.InvalidInput("give --check-sql or --no-check-sql, not both");
                }

                if (parse.GetValue(checkSql) is { } sql && string.IsNullOrWhiteSpace(sql))
                {
                    throw PgRotateException.InvalidInput("--check-sql is empty; use --no-check-sql to remove the check");
                }

                if ((parse.GetValue(window) is not null && parse.GetValue(noWindow)) || (parse.GetValue(jitter) is not null && parse.GetValue(noJitter)))
                {
                    throw PgRotateException.InvalidInput("give --window or --no-window, and --jitter or --no-jitter, not both of a pair");
                }

                var shaping = parse.GetValue(timeZone) is not null || parse.GetValue(window) is not null || parse.GetValue(jitter) is not null
                    || parse.GetValue(noWindow) || parse.GetValue(noJitter);
                if (shaping && parse.GetValue(noSchedule))
                {
                    throw PgRotateException.InvalidInput("--time-zone, --window and --jitter shape a schedule: they do not go with --no-schedule");
                }

                // Everything given is parsed and bounded before the store is opened: bad input changes nothing.
                var newSchedule = scheduleGiven == 0 ? null : SecretTiming.Parse(parse.GetValue(every), parse.GetValue(cron), null, context.Time.GetUtcNow(),
                    parse.GetValue(timeZone), parse.GetValue(window), parse.GetValue(jitter)).Schedule;
                var zone = parse.GetValue(timeZone) is { } z ? Schedule.ZoneNamed(z) : null;
                var newWindow = parse.GetValue(window) is { } w ? RotationWindow.Parse(w) : null;
                var newJitter = parse.GetValue(jitter) is { } j ? Durations.Parse(j, "--jitter") : (TimeSpan?)null;
                var newGrace = parse.GetValue(grace) is { } g ? Durations.Parse(g, "--grace") : (TimeSpan?)null;

                var store = await context.OpenStoreAsync(cancellationToken);
                await using var held = await store.Locks.AcquireAsync(LockKey.Secret(secretName), LockWait, cancellationToken);
                var secret = await store.GetSecretAsync(secretName, cancellationToken);
                var now = context.Time.GetUtcNow();
                var schedule = scheduleGiven == 0 ? secret.Schedule : newSchedule;
                if (shaping && scheduleGiven == 0)
                {
                    // Without a new --every or --cron, the options reshape the secret's schedule; with one, they came with it.
                    schedule = (schedule ?? throw PgRotateException.InvalidInput($"secret {secretName} rotates on demand only: give --every or --cron with --time-zone, --window or --jitter"))
                        .Without(parse.GetValue(noWindow), parse.GetValue(noJitter)).With(zone, newWindow, newJitter);
                }

                var finalGrace = parse.GetValue(noGrace) ? null : newGrace ?? secret.Grace;
                var check = parse.GetValue(noCheckSql) ? null : parse.GetValue(checkSql) ?? secret.CheckSql;
                var timing = SecretTiming.Of(schedule, finalGrace, now);
                var scheduleChanged = !Equals(schedule, secret.Schedule);
                var next = scheduleChanged ? timing.NextRotationAt : secret.NextRotationAt;

                var changes = new List<string>();
                if (scheduleChanged)
                {
                    changes.Add($"schedule {secret.Schedule?.Text ?? "on demand"} -> {schedule?.Text ?? "on demand"}");
                }

                if (finalGrace != secret.Grace)
                {
                    changes.Add($"grace {GraceText(secret.Grace)} -> {GraceText(finalGrace)}");
                }

                if (check != secret.CheckSql)
                {
                    // What the query says is not recorded: history is for what happened, and a query may name anything.
                    changes.Add(check is null ? "check query removed" : secret.CheckSql is null ? "check query added" : "check query changed");
                }

                if (changes.Count > 0)
                {
                    await store.UpdateSecretSettingsAsync(secretName, schedule, finalGrace, check, next, string.Join("; ", changes), cancellationToken);
                    await store.Audit.AppendAsync(new AuditRecord(AuditActions.SecretUpdated, store.Actor, secretName, Detail: string.Join("; ", changes)), cancellationToken);
                }

                if (context.Json)
                {
                    await context.Out.WriteLineAsync(JsonOutput.Serialize(new Contracts.SecretUpdateResult(
                        secretName, changes.Count > 0, changes, schedule?.Expression, finalGrace is { } fg ? Durations.Format(fg) : null, check is not null, next)
                    {
                        TimeZone = schedule?.TimeZone?.Id,
                        Window = schedule?.Window?.ToString(),
                        Jitter = schedule?.Jitter is { } sj ? Durations.Format(sj) : null,
                    }));
                }
                else if (changes.Count == 0)
                {
                    await context.Out.WriteLineAsync($"secret {secretName}: nothing to change");
                }
                else
                {
                    await context.Out.WriteLineAsync($"updated secret {secretName}: {string.Join("; ", changes)}");
                    await context.Out.WriteLineAsync($"next rotation: {(next is { } n ? n.ToString("u", System.Globalization.CultureInfo.InvariantCulture) : "on demand")}");
                }

                return ExitCodes.Ok;
            }, name, every, cron, timeZone, window, noWindow, jitter, noJitter, noSchedule, grace, noGrace, checkSql, noCheckSql);
    }

    private static string GraceText(TimeSpan? grace) => grace is { } g ? Durations.Format(g) : "default";
}

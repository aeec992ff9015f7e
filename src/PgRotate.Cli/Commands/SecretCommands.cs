using System.CommandLine;
using PgRotate.Audit;
using PgRotate.Cli.Output;
using PgRotate.Errors;
using PgRotate.Roles;
using PgRotate.Scheduling;
using PgRotate.Secrets;
using PgRotate.Setup;
using PgRotate.Wire;

namespace PgRotate.Cli.Commands;

/// <summary><c>pgrotate secret add|list|show|adopt-finish</c>: named credentials and their roles.</summary>
public static class SecretCommands
{
    /// <summary>A new argument for each command: a symbol belongs to one command of one tree.</summary>
    private static Argument<string> NameArgument() => new("name") { Description = "Secret name, e.g. orders/app" };

    public static Command Create(CommandFactory commands)
    {
        var secret = new Command("secret", "Register secrets (a credential on a target) and set up their roles");
        secret.Subcommands.Add(Add(commands));
        secret.Subcommands.Add(SecretRemoveCommand.Create(commands));
        secret.Subcommands.Add(commands.Command("list", "List secrets with their current login and next rotation", ListAsync));
        var showName = NameArgument();
        secret.Subcommands.Add(commands.Command("show", "Show a secret's settings and versions (never the passwords)",
            (context, parse, cancellationToken) => ShowAsync(context, parse.GetValue(showName), cancellationToken), showName));
        secret.Subcommands.Add(AdoptFinish(commands));
        secret.Subcommands.Add(SecretUpdateCommand.Create(commands));
        return secret;
    }

    private static Command Add(CommandFactory commands)
    {
        var nameArgument = NameArgument();
        var target = new Option<string>("--target") { Description = "Target the roles live on", Required = true };
        var group = new Option<string>("--group") { Description = "Group role that owns the data (alternating), or the login role itself (single)", Required = true };
        var strategy = new Option<string>("--strategy") { Description = "alternating (group + two logins, zero downtime), single (one role changed in place) or dynamic (a login per client instance, see 'pgrotate lease')", DefaultValueFactory = _ => "alternating" };
        strategy.AcceptOnlyFromAmong("alternating", "single", "dynamic");
        var defaultTtl = new Option<string?>("--default-ttl") { Description = "dynamic: how long a lease lives unless 'lease issue --ttl' says otherwise (default 1h)" };
        var maxTtl = new Option<string?>("--max-ttl") { Description = "dynamic: the longest a lease can live after it was issued, renewals included (default 24h)" };
        var nameTemplate = new Option<string?>("--name-template") { Description = "dynamic: lease login names, a fixed prefix ending in {random} (10 lowercase letters and digits); {group} is the group's name (default {group}_l_{random})" };
        var logins = new Option<string?>("--logins") { Description = "The two login role names, comma-separated (default: GROUP_a,GROUP_b)" };
        var every = new Option<string?>("--every") { Description = "Rotate at this interval, e.g. 30d, 12h" };
        var cron = new Option<string?>("--cron") { Description = "Rotate on this cron schedule (UTC unless --time-zone or a leading CRON_TZ=Zone), e.g. \"0 3 * * 1\"" };
        var timeZone = new Option<string?>("--time-zone") { Description = "Read --cron and --window in this IANA time zone, e.g. Europe/Paris (default UTC)" };
        var window = new Option<string?>("--window") { Description = "Start scheduled rotations only between these daily times, e.g. 02:00-05:00; a secret due outside waits for the next opening" };
        var jitter = new Option<string?>("--jitter") { Description = "Delay each scheduled rotation by a random time below this, e.g. 10m, so secrets sharing a schedule do not rotate at once" };
        var grace = new Option<string?>("--grace") { Description = "How long the previous credential keeps working after a rotation (default: until the next scheduled rotation)" };
        var checkSql = new Option<string?>("--check-sql") { Description = "One SQL statement that must succeed as the new credential before it is promoted; it runs read-only and is rolled back, so it cannot write" };
        var adopt = new Option<bool>("--adopt") { Description = "Take over existing roles: a LOGIN role in use as GROUP (it keeps logging in until 'secret adopt-finish'), an existing single role, existing --logins. Without it, secret add refuses to touch a role that exists. Never allowed: the admin role, superusers, CREATEROLE, REPLICATION or BYPASSRLS roles" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the exact SQL and change nothing" };
        return commands.Command("add",
            "Register a secret and create (or adopt) its roles: group NOLOGIN, GROUP_a and GROUP_b members defaulting to it. Idempotent: a second run changes nothing",
            async (context, parse, cancellationToken) =>
            {
                if (parse.GetValue(strategy) == "dynamic")
                {
                    return await AddDynamicAsync(context, parse, nameArgument, target, group, defaultTtl, maxTtl, nameTemplate, dryRun,
                        [logins, every, cron, timeZone, window, jitter, grace, checkSql, adopt], cancellationToken);
                }

                if (new Option[] { defaultTtl, maxTtl, nameTemplate }.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false }) is { } leaseOnly)
                {
                    throw PgRotateException.InvalidInput($"{leaseOnly.Name} is for --strategy dynamic");
                }

                var loginNames = parse.GetValue(logins)?.Split(',', StringSplitOptions.TrimEntries);
                if (loginNames is { Length: not 2 })
                {
                    throw PgRotateException.InvalidInput("--logins takes exactly two role names separated by a comma, e.g. app_blue,app_green");
                }

                var timing = SecretTiming.Parse(parse.GetValue(every), parse.GetValue(cron), parse.GetValue(grace), context.Time.GetUtcNow(),
                    parse.GetValue(timeZone), parse.GetValue(window), parse.GetValue(jitter));
                var request = new SecretRequest(
                    parse.GetValue(nameArgument)!, parse.GetValue(target)!, StrategyNames.Parse(parse.GetValue(strategy)!), parse.GetValue(group)!,
                    loginNames?[0], loginNames?[1], timing.Schedule, timing.Grace,
                    parse.GetValue(checkSql), parse.GetValue(adopt));
                var store = await context.OpenStoreAsync(cancellationToken);
                var result = await new SecretSetup(store, context.Connector, context.Time).AddAsync(request, parse.GetValue(dryRun), cancellationToken);
                if (!result.DryRun && (result.Stored || result.Statements.Count > 0))
                {
                    // What was set up, never the check query's text (it may name anything) nor a password.
                    var s = result.Secret;
                    await store.Audit.AppendAsync(new AuditRecord(AuditActions.SecretAdded, store.Actor, s.Name, Detail:
                        $"target {s.Target}; strategy {s.Strategy.WireName()}; group {s.Group}; logins {string.Join(", ", s.Logins)}; schedule {s.Schedule?.Text ?? "on demand"}" +
                        (s.CheckSql is null ? "" : "; with a check query") + (result.Stored ? "" : $"; roles set up again ({result.Statements.Count} statements)")), cancellationToken);
                }

                await WriteSetupAsync(context, result);
                return ExitCodes.Ok;
            },
            nameArgument, target, group, strategy, logins, every, cron, timeZone, window, jitter, grace, checkSql, adopt, dryRun, defaultTtl, maxTtl, nameTemplate);
    }

    /// <summary><c>secret add --strategy dynamic</c>: the group and the lease settings; options of rotated secrets are refused.</summary>
    private static async Task<int> AddDynamicAsync(CliContext context, ParseResult parse, Argument<string> name, Option<string> target, Option<string> group,
        Option<string?> defaultTtl, Option<string?> maxTtl, Option<string?> nameTemplate, Option<bool> dryRun, IReadOnlyList<Option> notForDynamic, CancellationToken cancellationToken)
    {
        if (notForDynamic.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false }) is { } refused)
        {
            throw PgRotateException.InvalidInput($"{refused.Name} is not for --strategy dynamic: its logins are leases ('pgrotate lease issue'), never rotated");
        }

        var request = new Leases.DynamicSecretRequest(parse.GetValue(name)!, parse.GetValue(target)!, parse.GetValue(group)!,
            parse.GetValue(defaultTtl) is { } d ? Leases.LeaseIssuer.ParseTtl(d, "--default-ttl") : null,
            parse.GetValue(maxTtl) is { } m ? Leases.LeaseIssuer.ParseTtl(m, "--max-ttl") : null,
            parse.GetValue(nameTemplate));
        var store = await context.OpenStoreAsync(cancellationToken);
        var result = await new Leases.DynamicSecretSetup(store, context.Connector, context.Time).AddAsync(request, parse.GetValue(dryRun), cancellationToken);
        if (!result.DryRun && (result.Stored || result.Statements.Count > 0))
        {
            var settings = await store.Leases.GetLeaseSettingsAsync(result.Secret.Name, cancellationToken);
            await store.Audit.AppendAsync(new AuditRecord(AuditActions.SecretAdded, store.Actor, result.Secret.Name, Detail:
                $"target {result.Secret.Target}; strategy dynamic; group {result.Secret.Group}; default ttl {Durations.Format(settings.DefaultTtl)}; max ttl {Durations.Format(settings.MaxTtl)}; names {settings.NameTemplate}" +
                (result.Stored ? "" : $"; roles set up again ({result.Statements.Count} statements)")), cancellationToken);
        }

        await WriteSetupAsync(context, result);
        return ExitCodes.Ok;
    }

    private static async Task WriteSetupAsync(CliContext context, SetupResult result)
    {
        var s = result.Secret;
        if (context.Json)
        {
            await context.Out.WriteLineAsync(JsonOutput.Serialize(result.ToContract()));
            return;
        }

        var o = context.Out;
        if (result.DryRun)
        {
            await o.WriteLineAsync($"-- dry run: secret {s.Name} on target {s.Target}; nothing was changed");
            foreach (var adoption in result.Adoptions ?? [])
            {
                await o.WriteLineAsync($"-- adopts existing role \"{adoption.Role}\": {adoption.Change}" + (result.RequiresAdopt ? " (requires --adopt)" : ""));
            }

            if (result.Statements.Count == 0)
            {
                await o.WriteLineAsync("-- roles are already set up; no statements would run");
                return;
            }

            await o.WriteLineAsync("BEGIN;");
            foreach (var statement in result.Statements)
            {
                await o.WriteLineAsync(statement.Display + ";");
            }

            await o.WriteLineAsync("COMMIT;");
            return;
        }

        if (result.Statements.Count == 0 && !result.Stored)
        {
            await o.WriteLineAsync($"secret {s.Name} is already set up on target {s.Target}; nothing changed");
            return;
        }

        await o.WriteLineAsync($"secret {s.Name} on target {s.Target}: {result.Statements.Count} role statement(s) applied");
        foreach (var adoption in result.Adoptions ?? [])
        {
            await o.WriteLineAsync($"  -- adopted existing role \"{adoption.Role}\": {adoption.Change}");
        }

        foreach (var statement in result.Statements)
        {
            await o.WriteLineAsync("  " + statement.Display);
        }

        await o.WriteLineAsync(s.Strategy == Strategy.Dynamic
            ? $"no login exists until a lease is issued: 'pgrotate lease issue {s.Name}'"
            : $"current login: {result.CurrentLogin}" + (RotationStrategies.For(s).GroupIsTheLogin ? "" : $" (acts as {s.Group})"));
        if (s.Adoption == Adoption.Adopting)
        {
            await o.WriteLineAsync($"{s.Group} still logs in for its existing clients; move them to this secret, then run 'pgrotate secret adopt-finish {s.Name}'");
        }
    }

    private static async Task<int> ListAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var store = await context.OpenStoreAsync(cancellationToken);
        var rows = new List<(Secret Secret, SecretVersion? Current, bool Interrupted)>();
        foreach (var secret in await store.ListSecretsAsync(cancellationToken))
        {
            rows.Add((secret, await store.FindVersionAsync(secret.Name, Stage.Current, cancellationToken),
                await store.FindVersionAsync(secret.Name, Stage.Pending, cancellationToken) is not null));
        }

        if (context.Json)
        {
            var now = context.Time.GetUtcNow();
            await context.Out.WriteLineAsync(JsonOutput.Serialize(rows.Select(r => r.Secret.ToSummary(r.Current, r.Interrupted, now))));
        }
        else if (rows.Count == 0)
        {
            await context.Out.WriteLineAsync("no secrets; add one with 'pgrotate secret add NAME --target T --group ROLE'");
        }
        else
        {
            TextTable.Write(context.Out, ["NAME", "TARGET", "STRATEGY", "CURRENT", "VERSION", "SCHEDULE", "NEXT ROTATION"], rows.Select(r => (IReadOnlyList<string>)
            [
                r.Secret.Name, r.Secret.Target, r.Secret.Strategy.WireName(), r.Current?.Username ?? "-", r.Current?.Number.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
                r.Secret.Schedule?.Text ?? "on demand", r.Secret.NextRotationAt?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "-",
            ]));
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> ShowAsync(CliContext context, string? name, CancellationToken cancellationToken)
    {
        var secretName = SecretName.ParseSecret(name);
        var store = await context.OpenStoreAsync(cancellationToken);
        var secret = await store.GetSecretAsync(secretName, cancellationToken);
        var versions = await store.ListVersionsAsync(secret.Name, cancellationToken);
        if (context.Json)
        {
            await context.Out.WriteLineAsync(JsonOutput.Serialize(secret.ToDetail(versions)));
            return ExitCodes.Ok;
        }

        var o = context.Out;
        await o.WriteLineAsync($"secret     {secret.Name}");
        await o.WriteLineAsync($"target     {secret.Target}");
        await o.WriteLineAsync($"strategy   {secret.Strategy.WireName()}");
        await o.WriteLineAsync($"group      {secret.Group}");
        await o.WriteLineAsync($"logins     {string.Join(", ", secret.Logins)}");
        await o.WriteLineAsync($"schedule   {secret.Schedule?.Text ?? "on demand"}");
        await o.WriteLineAsync($"grace      {(secret.Grace is { } grace ? Durations.Format(grace) : secret.Schedule is null ? Durations.Format(Bounds.DefaultGraceWithoutSchedule) + " (the default without a schedule)" : "until the next scheduled rotation")}");
        await o.WriteLineAsync($"adoption   {secret.Adoption.ToString().ToLowerInvariant()}");
        await o.WriteLineAsync($"next       {secret.NextRotationAt?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "-"}");
        TextTable.Write(o, ["VERSION", "LOGIN", "STAGE", "CREATED", "ACTIVATED", "VALID UNTIL"], versions.Reverse().Select(v => (IReadOnlyList<string>)
        [
            v.Number.ToString(System.Globalization.CultureInfo.InvariantCulture), v.Username, v.Stage.WireName(), Time(v.CreatedAt), Time(v.ActivatedAt), Time(v.ValidUntil),
        ]));
        return ExitCodes.Ok;
    }

    private static string Time(DateTimeOffset? time) => time?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "-";

    private static Command AdoptFinish(CommandFactory commands)
    {
        var nameArgument = NameArgument();
        var quiet = new Option<string>("--quiet-period") { Description = "How long no session of the old login must be seen before it is closed", DefaultValueFactory = _ => "1m" };
        return commands.Command("adopt-finish",
            "Finish adopting a single-user app: once no session of the group role has been seen for the quiet period, make it NOLOGIN; otherwise list the clients still using it. On an adoption that is already finished it changes nothing and exits 0",
            async (context, parse, cancellationToken) =>
            {
                var period = Durations.Parse(parse.GetValue(quiet), "--quiet-period");
                var name = SecretName.ParseSecret(parse.GetValue(nameArgument));
                var store = await context.OpenStoreAsync(cancellationToken);
                var progress = context.Json ? null : new InlineProgress<TimeSpan>(elapsed =>
                {
                    if (elapsed < period)
                    {
                        context.Host.Error.WriteLine($"no sessions of the old login for {Durations.Format(elapsed)} of {Durations.Format(period)}…");
                    }
                });
                var finished = await new SecretSetup(store, context.Connector, context.Time).FinishAdoptionAsync(name, period, TimeSpan.FromSeconds(5), progress, cancellationToken);
                var secret = await store.GetSecretAsync(name, cancellationToken);
                if (finished)
                {
                    await store.Audit.AppendAsync(new AuditRecord(AuditActions.AdoptionFinished, store.Actor, secret.Name,
                        Detail: $"{secret.Group} can no longer log in; quiet period {Durations.Format(period)}"), cancellationToken);
                }

                var text = !finished
                    ? $"adoption of {secret.Name} is already finished; nothing changed"
                    : $"adopted: {secret.Group} can no longer log in; its clients use {string.Join(" / ", secret.Logins)}";
                await context.Out.WriteLineAsync(context.Json
                    ? JsonOutput.Serialize(new Contracts.AdoptionFinishResult(secret.Name, secret.Group.Value, secret.Adoption.ToContract(), AlreadyFinished: !finished))
                    : text);
                return ExitCodes.Ok;
            }, nameArgument, quiet);
    }
}

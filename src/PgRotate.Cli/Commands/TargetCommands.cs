using System.CommandLine;
using PgRotate.Audit;
using PgRotate.Cli.Output;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Roles;
using PgRotate.Secrets;
using PgRotate.Store;
using PgRotate.Targets;
using PgRotate.Wire;

namespace PgRotate.Cli.Commands;

/// <summary><c>pgrotate target add|list|check</c>: the servers pgrotate manages roles on.</summary>
public static class TargetCommands
{
    /// <summary>A new argument for each command: a symbol belongs to one command of one tree.</summary>
    private static Argument<string> NameArgument() => new("name") { Description = "Target name: lowercase letters, digits, '.', '_' and '-'" };

    public static Command Create(CommandFactory commands)
    {
        var target = new Command("target", "Register and inspect PostgreSQL servers (targets) and their admin (rotator) credential");
        target.Subcommands.Add(Add(commands));
        target.Subcommands.Add(commands.Command("list", "List registered targets", ListAsync));
        target.Subcommands.Add(Check(commands));
        target.Subcommands.Add(TargetRotateAdminCommand.Create(commands));
        TargetEditCommands.Create(commands).ForEach(target.Subcommands.Add);
        return target;
    }

    private static Command Add(CommandFactory commands)
    {
        var nameArgument = NameArgument();
        var conn = new Option<string>("--conn")
        {
            Description = "Connection string with the admin user (Host=…;Port=…;Database=…;Username=…) or a postgresql:// URL. Keep the password out of it and use --password-stdin. Off this machine pgrotate connects with SSL Mode=VerifyFull (add Root Certificate=<CA file> for a private CA); a weaker SSL Mode set here is used, with a warning. The server must use scram-sha-256: pgrotate never sends a cleartext or MD5 password",
            Required = true,
        };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the admin password from standard input (first line), so it stays out of arguments and shell history" };
        var noVerify = new Option<bool>("--no-verify") { Description = "Register without connecting first" };
        return commands.Command("add", "Register a target; connects once to verify the admin credential unless --no-verify", async (context, parse, cancellationToken) =>
        {
            var name = SecretName.ParseTarget(parse.GetValue(nameArgument));
            var (connectionString, username, password) = AdminConnection.Parse(parse.GetValue(conn));
            password = await AdminCredentialInput.ReadPasswordAsync(context, password, parse.GetValue(passwordStdin), cancellationToken);
            if (password is null)
            {
                throw PgRotateException.InvalidInput("no admin password: use --password-stdin (or put Password=… in --conn, which leaves it in your shell history)");
            }

            var store = await context.OpenStoreAsync(cancellationToken);
            var target = new Target(name, connectionString, username, password);
            if ((await store.ListTargetsAsync(cancellationToken)).Any(t => t.Name == name))
            {
                throw new PgRotateException(ErrorCode.AlreadyExists, $"target {name} already exists");
            }

            var version = parse.GetValue(noVerify) ? null : await AdminCredentialInput.VerifyAsync(context, target, cancellationToken);

            await store.AddTargetAsync(target, cancellationToken);
            await store.Audit.AppendAsync(new AuditRecord(AuditActions.TargetAdded, store.Actor,
                Detail: $"target {name}: {target.Address} as {username}" + (version is null ? " (not verified)" : "")), cancellationToken);
            await WarnAsync(context, TargetTls.Warning(target));
            if (context.Json)
            {
                await context.Out.WriteLineAsync(JsonOutput.Serialize(new Contracts.TargetAddResult(name, target.Address, username, version)));
            }
            else
            {
                await context.Out.WriteLineAsync($"added target {name}: {target.Address} as {username}" + (version is null ? " (not verified)" : $", PostgreSQL {version}"));
                await context.Out.WriteLineAsync($"next: 'pgrotate target check {name}' shows whether {username} has the privileges rotation needs");
            }

            return ExitCodes.Ok;
        }, nameArgument, conn, passwordStdin, noVerify);
    }

    private static async Task<int> ListAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var store = await context.OpenStoreAsync(cancellationToken);
        var targets = await store.ListTargetsAsync(cancellationToken);
        if (context.Json)
        {
            await context.Out.WriteLineAsync(JsonOutput.Serialize(targets.Select(t => t.ToSummary())));
        }
        else if (targets.Count == 0)
        {
            await context.Out.WriteLineAsync("no targets; add one with 'pgrotate target add NAME --conn \"Host=…;Username=…\" --password-stdin'");
        }
        else
        {
            TextTable.Write(context.Out, ["NAME", "ADDRESS", "ADMIN"], targets.Select(t => (IReadOnlyList<string>)[t.Name, t.Address, t.Username]));
        }

        return ExitCodes.Ok;
    }

    private static Command Check(CommandFactory commands)
    {
        var nameArgument = NameArgument();
        var groups = new Option<string[]>("--group") { Description = "Also check access to this group role and its _a/_b logins (repeatable); the target's secrets are always included", AllowMultipleArgumentsPerToken = true };
        return commands.Command("check", "Connect, report the server version, TLS (protocol, whether the certificate was verified), the authentication method and the admin's privileges, and print the least-privilege GRANTs it lacks (different for PostgreSQL 15 and 16+). Also tries one deliberately wrong admin password and warns if the server accepts it (trust)", async (context, parse, cancellationToken) =>
        {
            var targetName = SecretName.ParseTarget(parse.GetValue(nameArgument));
            var store = await context.OpenStoreAsync(cancellationToken);
            var target = await store.GetTargetAsync(targetName, cancellationToken);
            var secrets = (await store.ListSecretsAsync(cancellationToken)).Where(s => s.Target == target.Name).ToList();
            var extraGroups = (parse.GetValue(groups) ?? []).Select(g => RoleName.Parse(g, "group role name", RoleName.MaxBytes - 2).Value).ToList();
            var managed = secrets
                .SelectMany(s => RotationStrategies.For(s).ManagedRoles(s).Select(r => r.Value))
                .Concat(extraGroups.SelectMany(group => new[] { group, group + "_a", group + "_b" }))
                .Distinct().ToList();
            var groupRoles = secrets.Select(s => s.Group.Value).Concat(extraGroups).Distinct().ToList();
            var transport = await TransportReport.InspectAsync(context.Connector, target, cancellationToken);
            var warnings = new[] { TargetTls.Warning(target), transport.TrustWarning(target) }.OfType<string>().ToList();
            foreach (var warning in warnings)
            {
                await WarnAsync(context, warning);
            }

            await using var connection = await context.Connector.OpenAdminAsync(target, cancellationToken);
            var report = await RotatorPrivileges.ReadAsync(connection, managed, groupRoles, cancellationToken);
            if (context.Json)
            {
                await context.Out.WriteLineAsync(JsonOutput.Serialize(target.ToCheckReport(report, transport, warnings)));
            }
            else
            {
                var o = context.Out;
                await o.WriteLineAsync($"target {target.Name}: {target.Address}, PostgreSQL {report.ServerVersion}");
                await o.WriteLineAsync(transport.Tls
                    ? $"tls: on ({transport.Protocol}, {transport.Cipher}), certificate verified: {transport.CertificateCheck} (SSL Mode={transport.SslMode})"
                    : $"tls: off (SSL Mode={transport.SslMode})");
                await o.WriteLineAsync(transport.AuthMethod == TransportReport.NoPassword
                    ? $"auth: none, the server asked {target.Username} for no password (trust, peer or cert)"
                    : $"auth: {transport.AuthMethod}" + (transport.AcceptsWrongPassword ? "" : ", a wrong password is refused"));
                await o.WriteLineAsync($"admin {report.User}: superuser {YesNo(report.IsSuperuser)}, createrole {YesNo(report.HasCreateRole)}, pg_read_all_stats {YesNo(report.CanReadAllStats)}");
                foreach (var role in report.Roles)
                {
                    var connect = role.CanConnect is { } can ? $", its logins can connect to {report.Database}: {YesNo(can)}" : "";
                    await o.WriteLineAsync($"  role {role.Name}: " + (role.Exists ? $"exists, admin option {YesNo(role.HasAdminOption)}" : "does not exist yet") + connect);
                }

                foreach (var note in report.Notes)
                {
                    await o.WriteLineAsync($"note: {note}");
                }

                if (report.Hardening.Count > 0)
                {
                    await o.WriteLineAsync("optional: keep SCRAM verifiers out of the server log and pg_stat_statements (superuser):");
                    foreach (var statement in report.Hardening)
                    {
                        await o.WriteLineAsync("  " + statement);
                    }
                }

                if (report.Recommended.Count > 0)
                {
                    await o.WriteLineAsync("recommended: lets 'secret adopt-finish' name the clients (application and address) still connected as an adopted role:");
                    foreach (var statement in report.Recommended)
                    {
                        await o.WriteLineAsync("  " + statement);
                    }
                }

                if (report.Sufficient)
                {
                    await o.WriteLineAsync($"ok: {report.User} can rotate the secrets of this target");
                }
                else
                {
                    await o.WriteLineAsync($"{report.User} lacks privileges; run as a superuser:");
                    foreach (var grant in report.MissingGrants)
                    {
                        await o.WriteLineAsync("  " + grant);
                    }
                }
            }

            if (!report.Sufficient)
            {
                throw new PgRotateException(ErrorCode.PermissionDenied, $"{report.User} lacks the privileges to rotate on target {target.Name}; run the statements printed above as a superuser");
            }

            return ExitCodes.Ok;
        }, nameArgument, groups);
    }

    /// <summary>
    /// The TLS warning (<see cref="TargetTls.Warning"/>) of each target the named secrets use, once per target: every
    /// rotation prints it. Unknown secrets are skipped; the rotation itself reports them.
    /// </summary>
    /// <summary>Warns about each of <paramref name="targets"/> whose transport is weaker than verified TLS, once each.</summary>
    internal static async Task WarnAboutTransportAsync(CliContext context, IEnumerable<Target> targets)
    {
        foreach (var target in targets.DistinctBy(t => t.Name).OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            await WarnAsync(context, TargetTls.Warning(target));
        }
    }

    /// <summary>A warning goes to stderr as one line, so that stdout (text or --json) stays what scripts parse.</summary>
    internal static async Task WarnAsync(CliContext context, string? warning)
    {
        if (warning is not null)
        {
            await context.Host.Error.WriteLineAsync($"pgrotate: warning: {warning}");
        }
    }

    private static string YesNo(bool value) => value ? "yes" : "no";
}

using System.CommandLine;
using PgRotate.Audit;
using PgRotate.Cli.Output;
using PgRotate.Errors;
using PgRotate.Rotation;
using PgRotate.Secrets;
using PgRotate.Targets;

namespace PgRotate.Cli.Commands;

/// <summary><c>pgrotate target update|remove</c>: change a target's connection or admin password, or forget it.</summary>
public static class TargetEditCommands
{
    public static List<Command> Create(CommandFactory commands) => [Update(commands), Remove(commands)];

    private static Command Update(CommandFactory commands)
    {
        var name = new Argument<string>("name") { Description = "Target name" };
        var conn = new Option<string?>("--conn")
        {
            Description = "New connection string with the admin user (Host=…;Port=…;Database=…;Username=…) or a postgresql:// URL; the stored password is kept unless --password-stdin is given",
        };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the new admin password from standard input (first line), e.g. after a DBA reset the rotator's password" };
        var noVerify = new Option<bool>("--no-verify") { Description = "Store without connecting first" };
        return commands.Command("update",
            "Store a new connection string and/or admin password for a target, verified by connecting (as 'target add' does) unless --no-verify",
            async (context, parse, cancellationToken) =>
            {
                var targetName = SecretName.ParseTarget(parse.GetValue(name));
                var text = parse.GetValue(conn);
                var fromStdin = parse.GetValue(passwordStdin);
                if (text is null && !fromStdin)
                {
                    throw PgRotateException.InvalidInput("nothing to update: give --conn, --password-stdin or both");
                }

                var (connectionString, username, inConnection) = text is null ? (null, null, null) : AdminConnection.Parse(text);
                var password = await AdminCredentialInput.ReadPasswordAsync(context, inConnection, fromStdin, cancellationToken);
                var store = await context.OpenStoreAsync(cancellationToken);
                var existing = await store.GetTargetAsync(targetName, cancellationToken);
                // Not while 'target rotate-admin' is changing the same password.
                await using var held = await store.Locks.AcquireAsync(LockKey.TargetAdmin(targetName), null, cancellationToken);
                var updated = new Target(targetName, connectionString ?? existing.ConnectionString, username ?? existing.Username, password ?? existing.Password);
                var version = parse.GetValue(noVerify) ? null : await AdminCredentialInput.VerifyAsync(context, updated, cancellationToken);
                await store.UpdateTargetAsync(updated, newPassword: password is not null, cancellationToken);
                var changed = new[] { connectionString is null ? null : "connection", password is null ? null : "admin password" }.OfType<string>().ToList();
                await store.Audit.AppendAsync(new AuditRecord(AuditActions.TargetUpdated, store.Actor,
                    Detail: $"target {targetName}: {string.Join(" and ", changed)} replaced; {updated.Address} as {updated.Username}" + (version is null ? " (not verified)" : "")), cancellationToken);
                await context.Out.WriteLineAsync(context.Json
                    ? JsonOutput.Serialize(new Contracts.TargetUpdateResult(targetName, updated.Address, updated.Username, changed, version))
                    : $"updated target {targetName} ({string.Join(" and ", changed)}): {updated.Address} as {updated.Username}" + (version is null ? " (not verified)" : $", PostgreSQL {version}"));
                return ExitCodes.Ok;
            }, name, conn, passwordStdin, noVerify);
    }

    private static Command Remove(CommandFactory commands)
    {
        var name = new Argument<string>("name") { Description = "Target name" };
        var force = new Option<bool>("--force") { Description = "Also remove the secrets registered on the target (listed in the output); their roles on the server are left as they are" };
        return commands.Command("remove",
            "Forget a target and its stored admin password. Refused while secrets use it, unless --force. Nothing on the server changes",
            async (context, parse, cancellationToken) =>
            {
                var targetName = SecretName.ParseTarget(parse.GetValue(name));
                var store = await context.OpenStoreAsync(cancellationToken);
                await using var held = await store.Locks.AcquireAsync(LockKey.TargetAdmin(targetName), null, cancellationToken);
                var removed = await store.RemoveTargetAsync(targetName, parse.GetValue(force), cancellationToken);
                await store.Audit.AppendAsync(new AuditRecord(AuditActions.TargetRemoved, store.Actor,
                    Detail: $"target {targetName}" + (removed.Count == 0 ? "" : $"; secrets removed with it: {string.Join(", ", removed)}")), cancellationToken);
                await context.Out.WriteLineAsync(context.Json
                    ? JsonOutput.Serialize(new Contracts.TargetRemoveResult(targetName, removed))
                    : $"removed target {targetName}" + (removed.Count == 0 ? "" : $" and its {removed.Count} secret(s): {string.Join(", ", removed)} (their roles on the server are left as they are)"));
                return ExitCodes.Ok;
            }, name, force);
    }
}

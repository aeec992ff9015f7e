using System.CommandLine;
using PgRotate.Audit;
using PgRotate.Cli.Output;
using PgRotate.Secrets;
using PgRotate.Setup;
using PgRotate.Wire;

namespace PgRotate.Cli.Commands;

/// <summary><c>pgrotate secret remove NAME [--drop-roles] [--dry-run]</c>.</summary>
public static class SecretRemoveCommand
{
    public static Command Create(CommandFactory commands)
    {
        var name = new Argument<string>("name") { Description = "Secret name" };
        var dropRoles = new Option<bool>("--drop-roles")
        {
            Description = "Also drop the two login roles: no new logins, their sessions ended, what they own in the target database reassigned to the group, then DROP OWNED and DROP ROLE. The group role is never dropped",
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the SQL and change nothing" };
        return commands.Command("remove",
            "Forget a secret (its stored passwords and history). Its roles stay on the server as they are unless --drop-roles. A dynamic secret's leases are revoked first (their logins dropped); if one cannot be, the secret is kept",
            async (context, parse, cancellationToken) =>
            {
                var secretName = SecretName.ParseSecret(parse.GetValue(name));
                var store = await context.OpenStoreAsync(cancellationToken);
                var result = await new SecretRemoval(store, context.Connector, context.Time)
                    .RemoveAsync(secretName, parse.GetValue(dropRoles), parse.GetValue(dryRun), cancellationToken);
                if (!result.DryRun)
                {
                    await store.Audit.AppendAsync(new AuditRecord(AuditActions.SecretRemoved, store.Actor, secretName, Detail: result.DropRoles
                        ? $"target {result.Secret.Target}; logins dropped: {(result.DroppedLogins.Count == 0 ? "none left" : string.Join(", ", result.DroppedLogins))}"
                        : $"target {result.Secret.Target}; roles kept{LeasesDetail(result)}"), cancellationToken);
                }

                await WriteAsync(context, result);
                return ExitCodes.Ok;
            }, name, dropRoles, dryRun);
    }

    private static string LeasesDetail(RemovalResult result) =>
        result.RevokedLeases.Count == 0 ? "" : $"; {result.RevokedLeases.Count} lease(s) revoked first: {string.Join(", ", result.RevokedLeases.Select(l => l.Id))}";

    private static async Task WriteAsync(CliContext context, RemovalResult result)
    {
        var s = result.Secret;
        var o = context.Out;
        if (context.Json)
        {
            await o.WriteLineAsync(JsonOutput.Serialize(result.ToContract()));
            return;
        }

        var roles = string.Join(", ", s.Logins.Select(l => l.Value).Prepend(s.Group.Value).Distinct());
        if (result.DryRun)
        {
            await o.WriteLineAsync($"-- dry run: secret {s.Name} on target {s.Target}; nothing was changed");
            if (result.Statements.Count == 0)
            {
                await o.WriteLineAsync($"-- no statement would run on the target: roles {roles} stay as they are");
            }

            foreach (var statement in result.Statements)
            {
                await o.WriteLineAsync(statement + ";");
            }

            foreach (var lease in result.RevokedLeases)
            {
                await o.WriteLineAsync($"-- lease {lease.Id} would be revoked: its login {lease.Role} dropped (sessions ended, what it owns moved to {s.Group})");
            }

            await o.WriteLineAsync($"-- then secret {s.Name} is removed from the store (its passwords and history)");
            return;
        }

        if (result.RevokedLeases.Count > 0)
        {
            await o.WriteLineAsync($"revoked {result.RevokedLeases.Count} lease(s) of {s.Name}: login(s) {string.Join(", ", result.RevokedLeases.Select(l => l.Role))} dropped");
        }

        await o.WriteLineAsync($"removed secret {s.Name} from the store");
        await o.WriteLineAsync(result.DroppedLogins.Count > 0
            ? $"dropped login(s) {string.Join(", ", result.DroppedLogins)} on target {s.Target} after ending {result.TerminatedSessions} session(s); group {s.Group} and what it owns are untouched"
            : result.DropRoles
                ? $"its logins no longer exist on target {s.Target}; group {s.Group} is untouched"
                : $"roles {roles} on target {s.Target} are left as they are");
    }
}

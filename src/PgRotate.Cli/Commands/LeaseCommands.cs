using System.CommandLine;
using System.Globalization;
using PgRotate.Cli.Output;
using PgRotate.Credentials;
using PgRotate.Leases;
using PgRotate.Wire;

namespace PgRotate.Cli.Commands;

/// <summary>
/// <c>pgrotate lease issue|renew|revoke|list|reap</c>: per-instance logins of dynamic secrets. <c>issue</c> prints the
/// credential like <c>get</c> does (the password is in it); the others never print a password.
/// </summary>
public static class LeaseCommands
{
    public static Command Create(CommandFactory commands)
    {
        var lease = new Command("lease", "Per-instance logins of dynamic secrets: issue (prints a credential), renew, revoke, list, reap");
        lease.Subcommands.Add(Issue(commands));
        lease.Subcommands.Add(Renew(commands));
        lease.Subcommands.Add(Revoke(commands));
        lease.Subcommands.Add(List(commands));
        lease.Subcommands.Add(commands.Command("reap",
            "One pass of what 'serve' does continuously: revoke expired leases, retry failed revocations, drop lease roles no lease names. For cron or a systemd timer",
            async (context, parse, cancellationToken) =>
            {
                var store = await context.OpenStoreAsync(cancellationToken);
                var result = await new LeaseReaper(store, context.Connector, context.Time).RunOnceAsync(cancellationToken);
                await context.Out.WriteLineAsync(context.Json
                    ? JsonOutput.Serialize(result.ToContract())
                    : $"revoked {result.Revoked} lease(s), {result.Failed} failed (retried later), swept {result.Swept.Count} orphan role(s)" +
                      (result.Swept.Count == 0 ? "" : ": " + string.Join(", ", result.Swept)));
                return ExitCodes.Ok;
            }));
        return lease;
    }

    private static Option<string?> TtlOption(string description) => new("--ttl") { Description = description };

    private static Argument<string> IdArgument() => new("id") { Description = "Lease id (lease_…), as 'lease issue' printed it or 'lease list' shows it" };

    private static Command Issue(CommandFactory commands)
    {
        var name = new Argument<string>("name") { Description = "Dynamic secret name" };
        var ttl = TtlOption("How long the lease lives, e.g. 1h (default: the secret's --default-ttl; at most its --max-ttl)");
        var format = new Option<string>("--format") { Description = "json (the credential with the lease id and times), env, pgpass, conn or service (as 'get' writes them; the lease id goes to stderr)", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong("json", "env", "pgpass", "conn", "service");
        return commands.Command("issue",
            "Create a login of its own for one client instance and print its credential (this prints the password). PostgreSQL refuses it after the lease's expiry; it is dropped when the lease is revoked or reaped",
            async (context, parse, cancellationToken) =>
            {
                var lifetime = parse.GetValue(ttl) is { } t ? LeaseIssuer.ParseTtl(t, "--ttl") : (TimeSpan?)null;
                var wanted = CredentialFormats.Parse(parse.GetValue(format)!);
                var store = await context.OpenStoreAsync(cancellationToken);
                var issued = await new LeaseIssuer(store, context.Connector, context.Time, hooks: FaultInjection.LeaseHooks(context.Host))
                    .IssueAsync(parse.GetValue(name)!, lifetime, cancellationToken);
                if (wanted == CredentialFormat.Json)
                {
                    await context.Out.WriteLineAsync(JsonOutput.Serialize(issued.ToContract()));
                }
                else
                {
                    await context.Out.WriteAsync(CredentialFormats.Render(issued.Credential, wanted));
                    await context.Host.Error.WriteLineAsync($"lease {issued.Lease.Id}: login {issued.Lease.Role}, expires {Time(issued.Lease.ExpiresAt)}");
                }

                return ExitCodes.Ok;
            }, name, ttl, format);
    }

    private static Command Renew(CommandFactory commands)
    {
        var id = IdArgument();
        var ttl = TtlOption("Extend to now + this, e.g. 1h (default: the secret's --default-ttl), never past the lease's maximum");
        return commands.Command("renew", "Extend a lease (and its login's VALID UNTIL), capped at its maximum lifetime",
            async (context, parse, cancellationToken) =>
            {
                var lifetime = parse.GetValue(ttl) is { } t ? LeaseIssuer.ParseTtl(t, "--ttl") : (TimeSpan?)null;
                var leaseId = LeaseIds.Parse(parse.GetValue(id));
                var store = await context.OpenStoreAsync(cancellationToken);
                var renewed = await new LeaseIssuer(store, context.Connector, context.Time).RenewAsync(leaseId, lifetime, cancellationToken);
                await context.Out.WriteLineAsync(context.Json
                    ? JsonOutput.Serialize(renewed.ToContract())
                    : $"lease {renewed.Id} renewed: login {renewed.Role} expires {Time(renewed.ExpiresAt)}" + (renewed.ExpiresAt == renewed.MaxExpiresAt ? " (its maximum)" : ""));
                return ExitCodes.Ok;
            }, id, ttl);
    }

    private static Command Revoke(CommandFactory commands)
    {
        var id = IdArgument();
        return commands.Command("revoke",
            "End a lease now: its sessions are ended, what its login owns in any database goes to the group, its privileges are dropped, then the login",
            async (context, parse, cancellationToken) =>
            {
                var leaseId = LeaseIds.Parse(parse.GetValue(id));
                var store = await context.OpenStoreAsync(cancellationToken);
                var revoked = await new LeaseRevoker(store, context.Connector, context.Time).RevokeAsync(leaseId, LeaseRevocationReasons.Revoked, cancellationToken);
                await context.Out.WriteLineAsync(context.Json
                    ? JsonOutput.Serialize(revoked.ToContract())
                    : $"lease {revoked.Id} revoked: login {revoked.Role} dropped" + (revoked.RevokeReason is LeaseRevocationReasons.Revoked ? "" : $" ({revoked.RevokeReason})"));
                return ExitCodes.Ok;
            }, id);
    }

    private static Command List(CommandFactory commands)
    {
        var secret = new Option<string?>("--secret") { Description = "Only the leases of this secret" };
        var all = new Option<bool>("--all") { Description = "Also leases that ended and whose login is gone" };
        return commands.Command("list", "List leases: state, expiry, failed revocation attempts and their last error (never a password)",
            async (context, parse, cancellationToken) =>
            {
                var secretName = parse.GetValue(secret) is { } s ? Secrets.SecretName.ParseSecret(s) : null;
                var store = await context.OpenStoreAsync(cancellationToken);
                var leases = await store.Leases.ListLeasesAsync(new LeaseFilter(secretName, IncludeRevoked: parse.GetValue(all)), cancellationToken);
                if (context.Json)
                {
                    await context.Out.WriteLineAsync(JsonOutput.Serialize(leases.Select(l => l.ToContract())));
                }
                else if (leases.Count == 0)
                {
                    await context.Out.WriteLineAsync("no leases; issue one with 'pgrotate lease issue NAME'");
                }
                else
                {
                    TextTable.Write(context.Out, ["ID", "SECRET", "LOGIN", "STATE", "EXPIRES", "ATTEMPTS", "NEXT ATTEMPT", "LAST ERROR"], leases.Select(l => (IReadOnlyList<string>)
                    [
                        l.Id, l.Secret, l.Role, l.State.WireName() + (l.RevokeReason is { } why && l.State != LeaseState.Active ? $" ({why})" : ""),
                        Time(l.ExpiresAt), l.RevokeAttempts.ToString(CultureInfo.InvariantCulture), l.NextAttemptAt is { } next && l.State == LeaseState.Revoking ? Time(next) : "-",
                        l.LastError ?? "-",
                    ]));
                }

                return ExitCodes.Ok;
            }, secret, all);
    }

    private static string Time(DateTimeOffset time) => time.ToString("u", CultureInfo.InvariantCulture);
}

using System.CommandLine;
using System.Globalization;
using PgRotate.Access;
using PgRotate.Cli.Output;
using PgRotate.Contracts;
using PgRotate.Wire;

namespace PgRotate.Cli.Commands;

/// <summary><c>pgrotate token create|list|revoke</c>: the bearer tokens of the API server (<c>pgrotate serve</c>).</summary>
public static class TokenCommands
{
    public static Command Create(CommandFactory commands)
    {
        var token = new Command("token", "API tokens for 'pgrotate serve': create (shown once), list, revoke");
        token.Subcommands.Add(CreateToken(commands));
        token.Subcommands.Add(commands.Command("list", "List tokens with their policies, end and state (never the tokens)", ListAsync));
        var name = new Argument<string>("name") { Description = "Token name" };
        token.Subcommands.Add(commands.Command("revoke", "Revoke a token: the server refuses it from its next request on, and the leases it issued are revoked",
            async (context, parse, cancellationToken) =>
            {
                var store = await context.OpenStoreAsync(cancellationToken);
                var revoked = await new Tokens(store, context.Time).RevokeAsync(parse.GetValue(name)!, cancellationToken);
                // The leases the token issued end with it (the server records a token's requests as "token:NAME").
                var leases = await new Leases.LeaseRevoker(store, context.Connector, context.Time)
                    .RevokeIssuedByAsync("token:" + revoked.Name, Leases.LeaseRevocationReasons.TokenRevoked, cancellationToken);
                await context.Out.WriteLineAsync(context.Json
                    ? JsonOutput.Serialize(Summary(revoked, context.Time.GetUtcNow()))
                    : $"revoked token {revoked.Name} (at {Time(revoked.RevokedAt!.Value)})" + (leases == 0 ? "" : $"; {leases} lease(s) it issued revoked"));
                return ExitCodes.Ok;
            }, name));
        return token;
    }

    private static Command CreateToken(CommandFactory commands)
    {
        var policy = new Option<string[]>("--policy")
        {
            Description = "A grant, capability:pattern (repeatable). Capabilities: read, rotate, lease, admin (admin implies the others; admin:* also reads the audit log). In the pattern '*' matches any characters, '/' included: read:orders/*",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var ttl = new Option<string?>("--ttl") { Description = "How long the token works, e.g. 30d (default: until revoked)" };
        var name = new Option<string?>("--name") { Description = "A name to list and revoke it by (default: token-<8 hex digits>)" };
        return commands.Command("create", "Create an API token and print it; this is the only time it is shown (the store keeps its hash)",
            async (context, parse, cancellationToken) =>
            {
                // Everything is checked before the store is opened: bad input changes nothing.
                var policies = parse.GetValue(policy)!.Select(TokenPolicy.Parse).ToList();
                var lifetime = parse.GetValue(ttl) is { } t ? Tokens.ParseTtl(t) : (TimeSpan?)null;
                var tokenName = parse.GetValue(name) is { } n ? Tokens.ParseName(n) : null;
                var store = await context.OpenStoreAsync(cancellationToken);
                var (text, created) = await new Tokens(store, context.Time).CreateAsync(tokenName, policies, lifetime, cancellationToken);
                await WriteCreatedAsync(context, text.Reveal(), created);
                return ExitCodes.Ok;
            }, policy, ttl, name);
    }

    /// <summary>A new token, the only time it is printed: as JSON, or the token on its own line after what it is.</summary>
    public static async Task WriteCreatedAsync(CliContext context, string text, StoredToken created)
    {
        if (context.Json)
        {
            await context.Out.WriteLineAsync(JsonOutput.Serialize(Created(text, created)));
            return;
        }

        await context.Out.WriteLineAsync(
            $"token {created.Name}: {string.Join(' ', created.Policies)}{(created.ExpiresAt is { } end ? $", expires {Time(end)}" : ", no expiry")}; shown only now, keep it safe:");
        await context.Out.WriteLineAsync(text);
    }

    public static CreatedToken Created(string text, StoredToken created) => created.ToCreated(text);

    private static async Task<int> ListAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var store = await context.OpenStoreAsync(cancellationToken);
        var now = context.Time.GetUtcNow();
        var stored = await new Tokens(store, context.Time).ListAsync(cancellationToken);
        var tokens = stored.Select(t => Summary(t, now)).ToList();
        if (context.Json)
        {
            await context.Out.WriteLineAsync(JsonOutput.Serialize(tokens));
            return ExitCodes.Ok;
        }

        TextTable.Write(context.Out, ["NAME", "STATUS", "POLICIES", "CREATED", "EXPIRES"], tokens.Select(t => (IReadOnlyList<string>)
        [
            t.Name, t.Status, string.Join(' ', t.Policies), Time(t.CreatedAt), t.ExpiresAt is { } e ? Time(e) : "never",
        ]));
        return ExitCodes.Ok;
    }

    private static TokenSummary Summary(StoredToken t, DateTimeOffset now) => t.ToSummary(now);

    private static string Time(DateTimeOffset time) => time.ToString("u", CultureInfo.InvariantCulture);
}

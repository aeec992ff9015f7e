using PgRotate.Audit;
using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Scheduling;
using PgRotate.Store;

namespace PgRotate.Access;

/// <summary>
/// Creating, listing, revoking and checking API tokens against one store; every change is appended to the store's
/// audit log under the store's actor. The token text exists only in what <see cref="CreateAsync"/> returns.
/// </summary>
public sealed partial class Tokens(ISecretStore store, TimeProvider time)
{
    /// <summary>The name <c>init</c> gives the first admin token.</summary>
    public const string FirstAdminName = "admin";

    /// <summary>Makes a token and returns its text (the only time it exists outside the caller) and what was stored.</summary>
    public async Task<(SecretText Text, StoredToken Token)> CreateAsync(string? name, IReadOnlyList<TokenPolicy> policies, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        if (policies.Count == 0)
        {
            throw PgRotateException.InvalidInput("give at least one --policy, e.g. --policy 'read:orders/*'");
        }

        var now = Now();
        var text = TokenHashes.Generate();
        var hash = TokenHashes.Hash(text.Reveal());
        var token = new StoredToken(
            name is null ? "token-" + TokenHashes.Hint(hash)[..8] : ParseName(name),
            hash, policies, now, ttl is { } t ? now + t : null, null, store.Actor);
        await store.Tokens.AddTokenAsync(token, cancellationToken).ConfigureAwait(false);
        await store.Audit.AppendAsync(new AuditRecord("token.created", store.Actor,
            Detail: $"token {token.Name}: {string.Join(' ', policies)}{(token.ExpiresAt is { } end ? $", expires {end:u}" : "")}"), cancellationToken).ConfigureAwait(false);
        return (text, token);
    }

    public Task<IReadOnlyList<StoredToken>> ListAsync(CancellationToken cancellationToken) => store.Tokens.ListTokensAsync(cancellationToken);

    public async Task<StoredToken> RevokeAsync(string name, CancellationToken cancellationToken)
    {
        var token = await store.Tokens.RevokeTokenAsync(ParseName(name), Now(), cancellationToken).ConfigureAwait(false);
        await store.Audit.AppendAsync(new AuditRecord("token.revoked", store.Actor, Detail: $"token {token.Name}"), cancellationToken).ConfigureAwait(false);
        return token;
    }

    /// <summary>
    /// Checks a presented token: well formed, known (whole hash equal, in constant time), not revoked, not expired. A
    /// malformed token is refused before the store is asked.
    /// </summary>
    public async Task<TokenCheck> CheckAsync(string? presented, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(presented))
        {
            return TokenCheck.Refused(TokenVerdict.Missing);
        }

        if (!TokenHashes.IsWellFormed(presented))
        {
            return TokenCheck.Refused(TokenVerdict.Malformed);
        }

        var hash = TokenHashes.Hash(presented);
        StoredToken? found = null;
        foreach (var candidate in await store.Tokens.FindTokensByHintAsync(TokenHashes.Hint(hash), cancellationToken).ConfigureAwait(false))
        {
            if (TokenHashes.Equal(candidate.Hash, hash))
            {
                found = candidate;
            }
        }

        return found switch
        {
            null => TokenCheck.Refused(TokenVerdict.Unknown),
            { IsRevoked: true } => TokenCheck.Refused(TokenVerdict.Revoked),
            _ when found.IsExpired(time.GetUtcNow()) => TokenCheck.Refused(TokenVerdict.Expired),
            _ => new TokenCheck(TokenVerdict.Accepted, found),
        };
    }

    /// <summary>Token times are kept to the millisecond, which every store holds exactly (their row MACs cover them).</summary>
    private DateTimeOffset Now() => DateTimeOffset.FromUnixTimeMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds());

    /// <summary>A token's name: lowercase letters, digits, '.', '_' and '-', at most 64 characters.</summary>
    public static string ParseName(string? text) =>
        text is { Length: > 0 and <= 64 } && NamePattern().IsMatch(text)
            ? text
            : throw PgRotateException.InvalidInput($"token name {Postgres.Sql.Printable(text ?? "")} is not allowed: use lowercase letters, digits, '.', '_' and '-', at most 64 characters");

    [System.Text.RegularExpressions.GeneratedRegex(@"\A[a-z0-9][a-z0-9._-]*\z")]
    private static partial System.Text.RegularExpressions.Regex NamePattern();

    /// <summary><c>--ttl</c>: how long a new token lives, like any other duration (at most 10 years).</summary>
    public static TimeSpan ParseTtl(string text) => Durations.Parse(text, "--ttl");
}

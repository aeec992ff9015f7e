using System.Collections.Concurrent;
using PgRotate.Access;
using PgRotate.Store;

namespace PgRotate.Server.Auth;

/// <summary>
/// Accepted tokens, kept for <see cref="ServerSettings.TokenCacheTime"/> so that a busy client is not looked up in the
/// store (and its row MAC checked) on every request. Only acceptances are kept: a refused token is asked about again
/// each time, and the failure limiter bounds how often. A token revoked meanwhile is refused once its entry is older
/// than the bound; one that expires is refused at its expiry, as without the cache.
/// </summary>
internal sealed class TokenCache(ISecretStore store, TimeProvider time, ServerSettings settings)
{
    /// <summary>At most this many tokens are kept; a full cache is emptied and refilled by the tokens in use.</summary>
    public const int Capacity = 10_000;

    private readonly ConcurrentDictionary<string, Accepted> _accepted = new(StringComparer.Ordinal);

    /// <summary>What <see cref="Tokens.CheckAsync"/> would answer, from the cache while its entry is recent enough.</summary>
    public async Task<(TokenCheck Check, AccessPolicy? Access)> CheckAsync(string? presented, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (presented is not null && _accepted.TryGetValue(presented, out var kept))
        {
            if (now - kept.CheckedAt < settings.TokenCacheTime && now >= kept.CheckedAt)
            {
                return kept.Token.IsExpired(now) ? (TokenCheck.Refused(TokenVerdict.Expired), null) : (new TokenCheck(TokenVerdict.Accepted, kept.Token), kept.Access);
            }

            _accepted.TryRemove(new KeyValuePair<string, Accepted>(presented, kept));
        }

        var check = await new Tokens(store, time).CheckAsync(presented, cancellationToken).ConfigureAwait(false);
        if (check is not { Verdict: TokenVerdict.Accepted, Token: { } token })
        {
            return (check, null);
        }

        var access = new AccessPolicy(token.Policies);
        if (_accepted.Count >= Capacity)
        {
            _accepted.Clear();
        }

        // Keyed by the token text, which exists only in this process's memory, as it does for the request itself.
        _accepted[presented!] = new Accepted(token, access, now);
        return (check, access);
    }

    private sealed record Accepted(StoredToken Token, AccessPolicy Access, DateTimeOffset CheckedAt);
}

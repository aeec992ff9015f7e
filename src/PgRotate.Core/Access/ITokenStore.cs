namespace PgRotate.Access;

/// <summary>Where API tokens are kept: in the same store as the secrets, each row authenticated like theirs.</summary>
public interface ITokenStore
{
    /// <summary>Records a new token; a name in use (even by a revoked token) is <c>AlreadyExists</c>.</summary>
    Task AddTokenAsync(StoredToken token, CancellationToken cancellationToken);

    /// <summary>Every token, revoked and expired ones included, oldest first.</summary>
    Task<IReadOnlyList<StoredToken>> ListTokensAsync(CancellationToken cancellationToken);

    /// <summary>The tokens whose hash starts with <paramref name="hint"/> (normally none or one); the caller compares the whole hash.</summary>
    Task<IReadOnlyList<StoredToken>> FindTokensByHintAsync(string hint, CancellationToken cancellationToken);

    /// <summary>Marks a token revoked at <paramref name="at"/>; <c>NotFound</c> when there is none of that name. Revoking twice keeps the first time.</summary>
    Task<StoredToken> RevokeTokenAsync(string name, DateTimeOffset at, CancellationToken cancellationToken);
}

using Microsoft.Data.Sqlite;
using PgRotate.Access;
using PgRotate.Errors;

namespace PgRotate.Store.Sqlite;

/// <summary>API tokens (hashes only), each row authenticated like targets and secrets.</summary>
public sealed partial class SqliteSecretStore : ITokenStore
{
    private const string TokenColumns = "name, hash, policies, created_at, expires_at, revoked_at, created_by, mac";

    public ITokenStore Tokens => this;

    public async Task AddTokenAsync(StoredToken token, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, null,
                "INSERT INTO tokens(name, hash, hint, policies, created_at, expires_at, revoked_at, created_by, mac) VALUES ($n, $h, $hint, $p, $c, $e, NULL, $by, $m)",
                cancellationToken, ("$n", token.Name), ("$h", token.Hash), ("$hint", token.Hint), ("$p", string.Join(' ', token.Policies)),
                ("$c", Format(token.CreatedAt)), ("$e", token.ExpiresAt is { } e ? Format(e) : null), ("$by", token.CreatedBy),
                ("$m", _values.TokenMac(token with { RevokedAt = null }))).ConfigureAwait(false);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw new PgRotateException(ErrorCode.AlreadyExists, $"a token named {token.Name} already exists ('pgrotate token list' shows them)", e);
        }
    }

    public Task<IReadOnlyList<StoredToken>> ListTokensAsync(CancellationToken cancellationToken) =>
        ReadTokensAsync($"SELECT {TokenColumns} FROM tokens ORDER BY created_at, name", cancellationToken);

    public Task<IReadOnlyList<StoredToken>> FindTokensByHintAsync(string hint, CancellationToken cancellationToken) =>
        ReadTokensAsync($"SELECT {TokenColumns} FROM tokens WHERE hint = $hint", cancellationToken, ("$hint", hint));

    public async Task<StoredToken> RevokeTokenAsync(string name, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var transaction = BeginWriteTransaction(connection);
        await using var closeTransaction = transaction.ConfigureAwait(false);
        var found = await ReadTokensAsync(connection, transaction, $"SELECT {TokenColumns} FROM tokens WHERE name = $n", cancellationToken, ("$n", name)).ConfigureAwait(false);
        var token = found.Count == 1 ? found[0] : throw TokenNotFound(name);
        if (token.RevokedAt is null)
        {
            token = token with { RevokedAt = at };
            await ExecuteAsync(connection, transaction, "UPDATE tokens SET revoked_at = $r, mac = $m WHERE name = $n", cancellationToken,
                ("$n", name), ("$r", Format(at)), ("$m", _values.TokenMac(token))).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return token;
    }

    internal static PgRotateException TokenNotFound(string name) =>
        new(ErrorCode.NotFound, $"unknown token {name}; 'pgrotate token list' shows them");

    private async Task<IReadOnlyList<StoredToken>> ReadTokensAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        return await ReadTokensAsync(connection, null, sql, cancellationToken, parameters).ConfigureAwait(false);
    }

    /// <summary>Reads token rows and authenticates each before it is returned: an edited row is refused, not believed.</summary>
    private async Task<IReadOnlyList<StoredToken>> ReadTokensAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        var tokens = new List<StoredToken>();
        var command = CreateCommand(connection, transaction, sql, parameters);
        await using var closeCommand = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var name = reader.GetString(0);
            var token = new StoredToken(
                name, (byte[])reader.GetValue(1), _values.ParseTokenPolicies(name, reader.GetString(2)), ParseTime(reader.GetString(3)),
                ParseTimeOrNull(reader.GetValue(4)), ParseTimeOrNull(reader.GetValue(5)), reader.IsDBNull(6) ? null : reader.GetString(6));
            tokens.Add(_values.OpenTokenRow(token, reader.IsDBNull(7) ? null : (byte[])reader.GetValue(7)));
        }

        return tokens;
    }
}

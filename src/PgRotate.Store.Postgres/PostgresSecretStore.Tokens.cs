using Npgsql;
using PgRotate.Access;
using PgRotate.Errors;
using PgRotate.Postgres;

namespace PgRotate.Store.Postgres;

/// <summary>API tokens (hashes only), each row authenticated like targets and secrets.</summary>
public sealed partial class PostgresSecretStore : ITokenStore
{
    private const string TokenColumns = "name, hash, policies, created_at, expires_at, revoked_at, created_by, mac";

    public ITokenStore Tokens => this;

    private string TokensTable => Sql.Identifier(Connection.Schema) + ".tokens";

    public Task AddTokenAsync(StoredToken token, CancellationToken cancellationToken) => WriteAsync(async (db, transaction) =>
    {
        try
        {
            await ExecuteAsync(db, transaction,
                $"INSERT INTO {TokensTable}(name, hash, hint, policies, created_at, expires_at, revoked_at, created_by, mac) VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8)",
                cancellationToken, token.Name, token.Hash, token.Hint, string.Join(' ', token.Policies), Utc(token.CreatedAt), Utc(token.ExpiresAt), token.CreatedBy,
                _values.TokenMac(token with { RevokedAt = null })).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new PgRotateException(ErrorCode.AlreadyExists, $"a token named {token.Name} already exists ('pgrotate token list' shows them)", e);
        }
    }, cancellationToken);

    public Task<IReadOnlyList<StoredToken>> ListTokensAsync(CancellationToken cancellationToken) =>
        ReadAsync(db => ReadTokensAsync(db, null, $"SELECT {TokenColumns} FROM {TokensTable} ORDER BY created_at, name", cancellationToken), cancellationToken);

    public Task<IReadOnlyList<StoredToken>> FindTokensByHintAsync(string hint, CancellationToken cancellationToken) =>
        ReadAsync(db => ReadTokensAsync(db, null, $"SELECT {TokenColumns} FROM {TokensTable} WHERE hint = $1", cancellationToken, hint), cancellationToken);

    public Task<StoredToken> RevokeTokenAsync(string name, DateTimeOffset at, CancellationToken cancellationToken) => WriteAsync(async (db, transaction) =>
    {
        var found = await ReadTokensAsync(db, transaction, $"SELECT {TokenColumns} FROM {TokensTable} WHERE name = $1 FOR UPDATE", cancellationToken, name).ConfigureAwait(false);
        var token = found.Count == 1 ? found[0] : throw new PgRotateException(ErrorCode.NotFound, $"unknown token {name}; 'pgrotate token list' shows them");
        if (token.RevokedAt is null)
        {
            token = token with { RevokedAt = at };
            await ExecuteAsync(db, transaction, $"UPDATE {TokensTable} SET revoked_at = $2, mac = $3 WHERE name = $1", cancellationToken,
                name, Utc(at), _values.TokenMac(token)).ConfigureAwait(false);
        }

        return token;
    }, cancellationToken);

    /// <summary>Reads token rows and authenticates each before it is returned: an edited row is refused, not believed.</summary>
    private async Task<IReadOnlyList<StoredToken>> ReadTokensAsync(NpgsqlConnection db, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken, params object?[] values)
    {
        var tokens = new List<StoredToken>();
        var command = Command(db, transaction, sql, values);
        await using var closeCommand = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var name = reader.GetString(0);
            var token = new StoredToken(
                name, (byte[])reader.GetValue(1), _values.ParseTokenPolicies(name, reader.GetString(2)), reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4), reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                reader.IsDBNull(6) ? null : reader.GetString(6));
            tokens.Add(_values.OpenTokenRow(token, reader.IsDBNull(7) ? null : (byte[])reader.GetValue(7)));
        }

        return tokens;
    }
}

using PgRotate.Access;
using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Store;
using PgRotate.Store.Postgres;
using PgRotate.Store.Sqlite;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Server;

/// <summary>Token storage, the same on both stores: hashes only, looked up by hint, revocation kept, rows authenticated.</summary>
public abstract class TokenStoreTests : IAsyncLifetime
{
    private readonly MasterKey _key = MasterKey.Generate();
    private ISecretStore _store = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract Task<ISecretStore> CreateStoreAsync(MasterKey key);

    /// <summary>Runs one SQL statement on the store's tokens table (named <c>tokens</c> in the SQL) as someone without the key would.</summary>
    protected abstract Task EditTokensAsync(string sql);

    public async ValueTask InitializeAsync() => _store = await CreateStoreAsync(_key);

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        _key.Dispose();
    }

    [Fact]
    public async Task A_created_token_is_found_by_its_hint_and_checks_as_accepted()
    {
        var tokens = new Tokens(_store, TimeProvider.System);
        var (text, created) = await tokens.CreateAsync("svc", [TokenPolicy.Parse("read:orders/*")], TimeSpan.FromDays(1), Ct);

        var found = await _store.Tokens.FindTokensByHintAsync(created.Hint, Ct);
        var check = await tokens.CheckAsync(text.Reveal(), Ct);

        Assert.Equal(created.Hash, Assert.Single(found).Hash);
        Assert.Equal(created.ExpiresAt, found[0].ExpiresAt);
        Assert.Equal(TokenVerdict.Accepted, check.Verdict);
        Assert.Equal("svc", check.Token!.Name);
        Assert.Equal(["read:orders/*"], check.Token.Policies.Select(p => p.ToString()));
    }

    [Fact]
    public async Task Revoking_keeps_the_row_and_the_first_revocation_time()
    {
        var tokens = new Tokens(_store, TimeProvider.System);
        var (text, _) = await tokens.CreateAsync("svc", [TokenPolicy.Parse("read:*")], null, Ct);

        var first = await tokens.RevokeAsync("svc", Ct);
        var second = await tokens.RevokeAsync("svc", Ct);

        Assert.Equal(first.RevokedAt, second.RevokedAt);
        Assert.Equal(TokenVerdict.Revoked, (await tokens.CheckAsync(text.Reveal(), Ct)).Verdict);
        Assert.True((await _store.Tokens.ListTokensAsync(Ct)).Single().IsRevoked);
        Assert.Equal(ErrorCode.NotFound, (await Assert.ThrowsAsync<PgRotateException>(() => tokens.RevokeAsync("nobody", Ct))).Code);
    }

    [Fact]
    public async Task A_name_in_use_is_refused_as_already_existing()
    {
        var tokens = new Tokens(_store, TimeProvider.System);
        await tokens.CreateAsync("svc", [TokenPolicy.Parse("read:*")], null, Ct);

        var e = await Assert.ThrowsAsync<PgRotateException>(() => tokens.CreateAsync("svc", [TokenPolicy.Parse("admin:*")], null, Ct));

        Assert.Equal(ErrorCode.AlreadyExists, e.Code);
        Assert.Single(await _store.Tokens.ListTokensAsync(Ct));
    }

    [Theory]
    [InlineData("UPDATE tokens SET policies = 'admin:*'")]
    [InlineData("UPDATE tokens SET revoked_at = NULL")]
    [InlineData("UPDATE tokens SET expires_at = NULL")]
    public async Task An_edited_token_row_is_refused_as_store_damage(string edit)
    {
        var tokens = new Tokens(_store, TimeProvider.System);
        var (text, _) = await tokens.CreateAsync("svc", [TokenPolicy.Parse("read:orders/app")], TimeSpan.FromDays(1), Ct);
        await tokens.RevokeAsync("svc", Ct);

        await EditTokensAsync(edit);

        Assert.Equal(ErrorCode.StoreCorrupt, (await Assert.ThrowsAsync<PgRotateException>(() => tokens.CheckAsync(text.Reveal(), Ct))).Code);
    }
}

public sealed class SqliteTokenStoreTests : TokenStoreTests, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pgrotate-tokens-").FullName;

    private string StorePath => Path.Combine(_folder, "pgrotate.db");

    protected override async Task<ISecretStore> CreateStoreAsync(MasterKey key) => await SqliteSecretStore.CreateAsync(StorePath, key, TimeProvider.System, null, Ct);

    protected override async Task EditTokensAsync(string sql)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={StorePath}");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(Ct);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}

public sealed class PostgresTokenStoreTests(PostgresFixture postgres) : TokenStoreTests
{
    private string _database = "";

    protected override async Task<ISecretStore> CreateStoreAsync(MasterKey key)
    {
        _database = await postgres.CreateDatabaseAsync();
        var location = new StoreLocation(StoreKind.Postgres,
            $"Host={postgres.Cluster.Host};Port={postgres.Cluster.Port};Database={_database};Username=postgres;Password={postgres.Cluster.SuperuserPassword.Reveal()}");
        return await new PostgresSecretStoreProvider(_ => null).CreateAsync(location, key, TimeProvider.System, null, Ct);
    }

    protected override Task EditTokensAsync(string sql) => postgres.ExecuteAsync(sql.Replace("UPDATE tokens", "UPDATE pgrotate.tokens", StringComparison.Ordinal), _database);
}

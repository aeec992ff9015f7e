using PgRotate.Crypto;
using PgRotate.Postgres;
using PgRotate.Secrets;
using PgRotate.Store.Postgres;
using PgRotate.Targets;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Store.Postgres;

/// <summary>A fresh database on the test cluster for one PostgreSQL store, and the pieces its tests need.</summary>
internal sealed class PostgresStoreDatabase(PostgresFixture postgres, string database)
{
    public static async Task<PostgresStoreDatabase> CreateAsync(PostgresFixture postgres) => new(postgres, await postgres.CreateDatabaseAsync());

    public PostgresFixture Postgres => postgres;
    public string Database => database;

    /// <summary>The store's connection string, as the superuser, with the password in it unless told otherwise.</summary>
    public string ConnectionString(string? schema = null, bool withPassword = true, string user = "postgres") =>
        $"Host={postgres.Cluster.Host};Port={postgres.Cluster.Port};Database={database};Username={user}"
        + (withPassword ? $";Password={postgres.Cluster.SuperuserPassword.Reveal()}" : "")
        + (schema is null ? "" : $";Search Path={schema}");

    public PostgresStoreConnection Connection(string? schema = null) => PostgresStoreConnection.Parse(ConnectionString(schema), _ => null);

    public Task<PostgresSecretStore> CreateStoreAsync(MasterKey key, string? schema = null) =>
        PostgresSecretStore.CreateAsync(Connection(schema), key, TimeProvider.System, null, TestContext.Current.CancellationToken);

    public Task<PostgresSecretStore> OpenStoreAsync(MasterKey key, string? schema = null) =>
        PostgresSecretStore.OpenAsync(Connection(schema), key, TimeProvider.System, null, TestContext.Current.CancellationToken);

    public Task ExecuteAsync(string sql) => postgres.ExecuteAsync(sql, database);

    public Task<T> ScalarAsync<T>(string sql) => postgres.ScalarAsync<T>(sql, database);

    public Target Target(string name = "db") => postgres.Cluster.AsTarget(name);

    public static Secret Secret(string name, string target, DateTimeOffset now) => new(
        name, target, Strategy.Alternating, RoleName.Parse("app"), RoleName.Parse("app_a"), RoleName.Parse("app_b"),
        null, TimeSpan.FromHours(1), null, Adoption.None, now, null);

    public static SecretVersion Version(string secret, int number, string username, Stage stage, DateTimeOffset now) =>
        new(secret, number, username, PasswordGenerator.Generate(), stage, now, null, null);
}

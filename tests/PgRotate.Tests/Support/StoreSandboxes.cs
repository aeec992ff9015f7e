using PgRotate.Cli;
using PgRotate.Crypto;
using PgRotate.Store;
using PgRotate.Store.Postgres;

namespace PgRotate.Tests.Support;

/// <summary>
/// Working folders whose CLI uses a store of a chosen kind, for tests that must hold for every store: the SQLite file in
/// the folder (the default), or a PostgreSQL store in a database of its own on the test cluster.
/// </summary>
public static class StoreSandboxes
{
    /// <summary>
    /// A new working folder pointed at an empty store location of <paramref name="kind"/> (<c>init</c> creates the store).
    /// A PostgreSQL store is reached as a role of its own that owns the database, with its password in
    /// PGROTATE_STORE_PASSWORD and the master key in PGROTATE_MASTER_KEY: a store in a database has no key file beside it.
    /// </summary>
    public static async Task<CliSandbox> SandboxAsync(this PostgresFixture postgres, StoreKind kind)
    {
        var sandbox = new CliSandbox(postgres);
        if (kind == StoreKind.Sqlite)
        {
            return sandbox;
        }

        var database = await postgres.CreateDatabaseAsync();
        var role = Unique.Name("store");
        var secret = PasswordGenerator.Generate();
        var password = secret.Reveal();
        await postgres.Cluster.CreateLoginRoleAsync(role, secret, TestContext.Current.CancellationToken);
        await postgres.ExecuteAsync($"ALTER DATABASE \"{database}\" OWNER TO \"{role}\"");
        using var key = MasterKey.Generate();
        sandbox.SetEnvironment(CliContext.StoreVariable, $"postgresql://{role}@{postgres.Cluster.Host}:{postgres.Cluster.Port}/{database}");
        sandbox.SetEnvironment(PostgresStoreConnection.PasswordVariable, password);
        sandbox.SetEnvironment(MasterKey.EnvironmentVariable, key.ToBase64());
        return sandbox;
    }

    /// <summary>
    /// The store the sandbox's CLI uses, whatever its kind, opened in this process with the sandbox's key (from
    /// PGROTATE_MASTER_KEY, else the key file). The caller disposes it; the key stays with the store, which uses it until then.
    /// </summary>
    public static async Task<ISecretStore> OpenConfiguredStoreAsync(this CliSandbox sandbox)
    {
        var ct = TestContext.Current.CancellationToken;
        var location = StoreLocation.Parse(sandbox.Environment.GetValueOrDefault(CliContext.StoreVariable) ?? sandbox.StorePath);
        var key = sandbox.Environment.GetValueOrDefault(MasterKey.EnvironmentVariable) is { } encoded
            ? MasterKey.FromBase64(encoded)
            : await MasterKey.ReadFileAsync(sandbox.Environment.GetValueOrDefault(CliContext.KeyFileVariable) ?? sandbox.KeyPath, ct);
        return await StoreProviders.For(location, sandbox.Environment.GetValueOrDefault).OpenAsync(location, key, TimeProvider.System, null, ct);
    }
}

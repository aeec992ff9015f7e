using PgRotate.Cli;
using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Cli;

/// <summary>
/// <c>pgrotate init</c> with a PostgreSQL store: creates the schema and says where (never with the password), and a
/// second init refuses the existing store as it refuses an existing file, changing nothing.
/// </summary>
public sealed class PostgresStoreInitTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Init_creates_the_store_once_and_refuses_to_write_into_an_existing_one()
    {
        var database = await postgres.CreateDatabaseAsync();
        var password = postgres.Cluster.SuperuserPassword.Reveal();
        using var sandbox = new CliSandbox(postgres);
        sandbox.SetEnvironment(CliContext.StoreVariable, $"postgresql://postgres:{password}@{postgres.Cluster.Host}:{postgres.Cluster.Port}/{database}");
        sandbox.SetEnvironment(MasterKey.EnvironmentVariable, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(MasterKey.KeyLength)));

        var created = (await sandbox.RunAsync("init")).Ok();
        Assert.Contains($"created store postgresql {postgres.Cluster.Host}:{postgres.Cluster.Port}/{database}, schema pgrotate", created);
        Assert.DoesNotContain(password, created);
        var tables = await postgres.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE schemaname = 'pgrotate'", database);
        Assert.True(tables > 0);

        var line = (await sandbox.RunAsync("init")).FailsWith(ExitCodes.For(ErrorCode.AlreadyExists));
        Assert.Contains("schema pgrotate already holds tables", line);
        Assert.DoesNotContain(password, line);
        Assert.Equal(tables, await postgres.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE schemaname = 'pgrotate'", database));
        (await sandbox.RunAsync("target", "list")).Ok();
        Assert.Empty(Directory.EnumerateFileSystemEntries(sandbox.Directory));
    }
}

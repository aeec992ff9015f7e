using System.Text;
using PgRotate.Crypto;
using PgRotate.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Cli;

/// <summary>
/// Generated passwords and the admin password appear nowhere they should not: not in the server's log (which logs
/// every statement here), not in anything the CLI prints, not in the store file's bytes.
/// </summary>
public sealed class SecretLeakTests(PostgresFixture postgres)
{
    [Fact]
    public async Task No_password_reaches_the_server_log_the_cli_output_or_the_store_file()
    {
        using var sandbox = new CliSandbox(postgres);
        var runs = new List<CliRun>();
        async Task<CliRun> Run(string stdin, params string[] args)
        {
            var run = await sandbox.RunWithInputAsync(stdin, args);
            runs.Add(run);
            return run;
        }

        var cluster = postgres.Cluster;
        var admin = Unique.Name("admin");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(admin)} SUPERUSER");
        var adminPassword = await Logins.GivePasswordAsync(postgres, admin);
        var database = await postgres.CreateDatabaseAsync();
        var conn = $"Host={cluster.Host};Port={cluster.Port};Database={database};Username={admin}";
        var group = Unique.Name("foo");
        var solo = Unique.Name("solo");
        var legacy = Unique.Name("legacy");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(legacy)} LOGIN");

        (await Run("", "init")).Ok();
        (await Run(adminPassword.Reveal() + "\n", "target", "add", "db", "--conn", conn, "--password-stdin")).Ok();
        // The discouraged way, with the password in the connection string, must not echo it either.
        (await Run("", "target", "add", "db2", "--conn", conn + $";Password={adminPassword.Reveal()}")).Ok();
        (await Run("", "target", "list")).Ok();
        (await Run("", "target", "list", "--json")).Ok();
        (await Run("", "target", "check", "db", "--group", group)).Ok();
        (await Run("", "target", "check", "db2", "--json")).Ok();
        (await Run("", "secret", "add", "orders/app", "--target", "db", "--group", group, "--dry-run")).Ok();
        (await Run("", "secret", "add", "orders/app", "--target", "db", "--group", group, "--every", "30d")).Ok();
        (await Run("", "secret", "add", "orders/app", "--target", "db", "--group", group, "--every", "30d", "--json")).Ok();
        (await Run("", "secret", "add", "orders/solo", "--target", "db2", "--group", solo, "--strategy", "single", "--json")).Ok();
        (await Run("", "secret", "add", "orders/legacy", "--target", "db", "--group", legacy, "--adopt", "--check-sql", "SELECT 1")).Ok();
        (await Run("", "secret", "adopt-finish", "orders/legacy", "--quiet-period", "0s")).Ok();
        (await Run("", "secret", "list")).Ok();
        (await Run("", "secret", "list", "--json")).Ok();
        (await Run("", "secret", "show", "orders/app")).Ok();
        (await Run("", "secret", "show", "orders/solo", "--json")).Ok();
        (await Run("", "check")).Ok();
        (await Run("", "check", "--json")).Ok();
        // Failures print server text too: a failing check query, a drift, a wrong admin password.
        (await Run("", "secret", "add", "orders/broken", "--target", "db", "--group", Unique.Name("broken"), "--check-sql", "SELECT 1/0")).FailsWith(14);
        await postgres.ExecuteAsync($"ALTER ROLE {Sql.Identifier(group + "_a")} RESET role");
        (await Run("", "check", "orders/app")).FailsWith(15);
        (await Run(PasswordGenerator.Generate().Reveal() + "\n", "target", "add", "db3", "--conn", conn, "--password-stdin")).FailsWith(10);

        var store = await sandbox.OpenStoreAsync();
        var passwords = new List<string> { adminPassword.Reveal() };
        foreach (var secret in new[] { "orders/app", "orders/solo", "orders/legacy" })
        {
            var versions = await store.ListVersionsAsync(secret, TestContext.Current.CancellationToken);
            Assert.NotEmpty(versions);
            passwords.AddRange(versions.Select(v => v.Password.Reveal()));
        }

        Assert.All(passwords, p => Assert.True(p.Length >= PasswordGenerator.MinimumLength));
        var log = await cluster.ReadServerLogAsync(TestContext.Current.CancellationToken);
        Assert.Contains(group + "_a", log);
        var printed = string.Join("\n", runs.Select(r => r.Out + "\n" + r.Error));
        var storeBytes = Encoding.Latin1.GetString(await RawStoreAsync(sandbox));
        foreach (var password in passwords)
        {
            Assert.DoesNotContain(password, log);
            Assert.DoesNotContain(password, printed);
            Assert.DoesNotContain(password, storeBytes);
        }

        // Verifiers and the master key are not passwords, but they are secrets: the CLI never prints them either.
        Assert.DoesNotContain("SCRAM-SHA-256$", printed);
        Assert.DoesNotContain((await File.ReadAllTextAsync(sandbox.KeyPath, TestContext.Current.CancellationToken)).Trim(), printed);
    }

    /// <summary>The store file and its write-ahead log as they are on disk now, then again once checkpointed.</summary>
    private static async Task<byte[]> RawStoreAsync(CliSandbox sandbox)
    {
        var ct = TestContext.Current.CancellationToken;
        var bytes = new List<byte>();
        foreach (var file in new[] { sandbox.StorePath, sandbox.StorePath + "-wal" }.Where(File.Exists))
        {
            bytes.AddRange(await File.ReadAllBytesAsync(file, ct));
        }

        bytes.AddRange(await sandbox.StoreBytesAsync());
        return [.. bytes];
    }
}

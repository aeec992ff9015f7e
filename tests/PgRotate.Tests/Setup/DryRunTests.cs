using System.Text.Json;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Setup;

[Collection(CatalogSnapshots.Name)]
public sealed class DryRunTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Dry_run_changes_no_role_and_stores_no_secret()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("foo");
        var catalog = await postgres.RoleCatalogSnapshotAsync();
        var store = await sandbox.StoreBytesAsync();

        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group, "--dry-run")).Ok();

        Assert.Equal(catalog, await postgres.RoleCatalogSnapshotAsync());
        Assert.Equal(store, await sandbox.StoreBytesAsync());
        Assert.Null(await (await sandbox.OpenStoreAsync()).FindSecretAsync("orders/app", TestContext.Current.CancellationToken));
        Assert.Equal("[]", (await sandbox.RunAsync("secret", "list", "--json")).Ok().Trim());
    }

    [Fact]
    public async Task Dry_run_prints_the_statements_with_a_placeholder_for_the_verifier()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("foo");

        var output = (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group, "--dry-run")).Ok();

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(
        [
            $"-- dry run: secret orders/app on target {sandbox.TargetName}; nothing was changed",
            "BEGIN;",
            $"CREATE ROLE \"{group}\" NOLOGIN;",
            $"CREATE ROLE \"{group}_a\" LOGIN PASSWORD '<SCRAM-SHA-256 verifier>' VALID UNTIL 'infinity';",
            $"GRANT \"{group}\" TO \"{group}_a\";",
            $"ALTER ROLE \"{group}_a\" SET role = '{group}';",
            $"CREATE ROLE \"{group}_b\" NOLOGIN;",
            $"GRANT \"{group}\" TO \"{group}_b\";",
            $"ALTER ROLE \"{group}_b\" SET role = '{group}';",
            "COMMIT;",
        ], lines);
        Assert.DoesNotContain("SCRAM-SHA-256$", output);
    }

    [Fact]
    public async Task Dry_run_as_json_lists_the_statements_without_a_verifier()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("foo");

        var output = (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group, "--dry-run", "--json")).Ok();

        var json = JsonDocument.Parse(output).RootElement;
        Assert.True(json.GetProperty("dryRun").GetBoolean());
        var statements = json.GetProperty("statements").EnumerateArray().Select(s => s.GetString()!).ToList();
        Assert.Contains($"CREATE ROLE \"{group}_a\" LOGIN PASSWORD '<SCRAM-SHA-256 verifier>' VALID UNTIL 'infinity'", statements);
        Assert.DoesNotContain("SCRAM-SHA-256$", output);
    }

    [Fact]
    public async Task Dry_run_of_a_secret_that_is_already_set_up_says_nothing_would_run()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("foo");
        string[] add = ["secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group];
        (await sandbox.RunAsync(add)).Ok();
        var catalog = await postgres.RoleCatalogSnapshotAsync();
        var store = await sandbox.StoreBytesAsync();

        var output = (await sandbox.RunAsync([.. add, "--dry-run"])).Ok();

        Assert.Contains("no statements would run", output);
        Assert.Equal(catalog, await postgres.RoleCatalogSnapshotAsync());
        Assert.Equal(store, await sandbox.StoreBytesAsync());
    }
}

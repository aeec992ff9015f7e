using Npgsql;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Setup;

// Compares whole-cluster role catalog snapshots, so it must not run beside tests that create roles.
[Collection(CatalogSnapshots.Name)]
public sealed class SecretAddTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Secret_add_creates_the_group_and_two_logins_that_default_to_it()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group)).Ok();

        Assert.False(await postgres.ScalarAsync<bool>($"SELECT rolcanlogin FROM pg_roles WHERE rolname = '{group}'"));
        Assert.True(await postgres.ScalarAsync<bool>($"SELECT rolcanlogin FROM pg_roles WHERE rolname = '{group}_a'"));
        Assert.False(await postgres.ScalarAsync<bool>($"SELECT rolcanlogin FROM pg_roles WHERE rolname = '{group}_b'"));
        foreach (var login in new[] { group + "_a", group + "_b" })
        {
            Assert.True(await postgres.ScalarAsync<bool>($"SELECT pg_has_role('{login}', '{group}', 'MEMBER')"));
            Assert.Equal($"{{role={group}}}", await postgres.ScalarAsync<string>(
                $"SELECT setconfig::text FROM pg_db_role_setting WHERE setdatabase = 0 AND setrole = '{login}'::regrole"));
        }
    }

    [Fact]
    public async Task Secret_add_twice_changes_nothing_the_second_time()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        string[] add = ["secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group, "--every", "30d"];
        (await sandbox.RunAsync(add)).Ok();
        var catalog = await postgres.RoleCatalogSnapshotAsync();

        var second = (await sandbox.RunAsync(add)).Ok();

        Assert.Contains("nothing changed", second);
        Assert.Equal(catalog, await postgres.RoleCatalogSnapshotAsync());
        var show = (await sandbox.RunAsync("secret", "show", "orders/app", "--json")).Ok();
        Assert.Single(System.Text.Json.JsonDocument.Parse(show).RootElement.GetProperty("versions").EnumerateArray());
    }
}

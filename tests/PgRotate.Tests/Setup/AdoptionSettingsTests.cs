using System.Text.Json;
using PgRotate.Crypto;
using PgRotate.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Setup;

/// <summary>
/// A legacy role's settings (ALTER ROLE … [IN DATABASE …] SET) apply only to sessions that log in as it, so adoption
/// copies them to both logins, and 'check' reports logins whose settings differ from the group's.
/// </summary>
public sealed class AdoptionSettingsTests(PostgresFixture postgres)
{
    private const int DriftDetected = 15;

    [Fact]
    public async Task Adoption_copies_the_legacy_roles_settings_to_both_logins()
    {
        using var sandbox = new CliSandbox(postgres);
        var (orders, database) = await LegacyAppWithSettingsAsync(sandbox);

        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", orders, "--adopt")).Ok();
        var first = await ClientLogin.GetAsync(sandbox, "orders/app");
        var asA = await SessionSettingsAsync(first, database);
        (await sandbox.RunAsync("rotate", "orders/app")).Ok();
        var second = await ClientLogin.GetAsync(sandbox, "orders/app");
        var asB = await SessionSettingsAsync(second, database);

        Assert.Equal(orders + "_b", second.Username);
        var expected = ("30s", "app, \"My Schema\", public", "8MB", "5s", orders);
        Assert.Equal(expected, asA);
        Assert.Equal(expected, asB);
        // Only in the legacy role's database: elsewhere the logins have no lock_timeout of their own.
        Assert.Equal("0", (await SessionSettingsAsync(second, "postgres")).LockTimeout);
        (await sandbox.RunAsync("check", "orders/app")).Ok();
    }

    [Fact]
    public async Task Dry_run_shows_the_settings_adoption_copies()
    {
        using var sandbox = new CliSandbox(postgres);
        var (orders, database) = await LegacyAppWithSettingsAsync(sandbox);

        var output = (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", orders, "--adopt", "--dry-run")).Ok();

        foreach (var login in new[] { orders + "_a", orders + "_b" })
        {
            Assert.Contains($"ALTER ROLE \"{login}\" SET \"statement_timeout\" = '30s';", output);
            Assert.Contains($"ALTER ROLE \"{login}\" SET \"search_path\" = 'app', 'My Schema', 'public';", output);
            Assert.Contains($"ALTER ROLE \"{login}\" SET \"work_mem\" = '8MB';", output);
            Assert.Contains($"ALTER ROLE \"{login}\" IN DATABASE \"{database}\" SET \"lock_timeout\" = '5s';", output);
        }

        Assert.Contains("get copies of its settings (", output);
    }

    [Fact]
    public async Task A_non_superuser_rotator_copies_the_settings_too()
    {
        using var sandbox = new CliSandbox(postgres);
        var (orders, database) = await LegacyAppWithSettingsAsync(sandbox);
        var rotator = Unique.Name("rotator");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(rotator)} CREATEROLE");
        if (postgres.MajorVersion >= 16)
        {
            await postgres.ExecuteAsync($"GRANT {Sql.Identifier(orders)} TO {Sql.Identifier(rotator)} WITH ADMIN TRUE, INHERIT FALSE, SET FALSE");
        }

        var password = await Logins.GivePasswordAsync(postgres, rotator);
        var cluster = postgres.Cluster;
        (await sandbox.RunWithInputAsync(password.Reveal() + "\n", "target", "add", "as-rotator",
            "--conn", $"Host={cluster.Host};Port={cluster.Port};Database={database};Username={rotator}", "--password-stdin")).Ok();

        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", "as-rotator", "--group", orders, "--adopt")).Ok();

        Assert.Equal(("30s", "app, \"My Schema\", public", "8MB", "5s", orders), await SessionSettingsAsync(await ClientLogin.GetAsync(sandbox, "orders/app"), database));
    }

    [Fact]
    public async Task A_setting_changed_on_the_group_after_adoption_is_drift_on_both_logins()
    {
        using var sandbox = new CliSandbox(postgres);
        var (orders, _) = await LegacyAppWithSettingsAsync(sandbox);
        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", orders, "--adopt")).Ok();
        await postgres.ExecuteAsync($"ALTER ROLE {Sql.Identifier(orders)} SET statement_timeout = '1min'");

        var run = await sandbox.RunAsync("check", "orders/app", "--json");

        run.FailsWith(DriftDetected);
        var drifts = JsonDocument.Parse(run.Out).RootElement.GetProperty("drift").EnumerateArray().ToList();
        Assert.Equal([orders + "_a", orders + "_b"], drifts.Select(d => d.GetProperty("role").GetString()));
        Assert.All(drifts, d => Assert.Equal("settings_differ_from_group", d.GetProperty("kind").GetString()));
        Assert.Contains($"{orders} has statement_timeout=1min", drifts[0].GetProperty("message").GetString());
        Assert.Equal($"ALTER ROLE \"{orders}_a\" SET \"statement_timeout\" = '1min'", drifts[0].GetProperty("fix").GetString());

        foreach (var drift in drifts)
        {
            await postgres.ExecuteAsync(drift.GetProperty("fix").GetString()!);
        }

        (await sandbox.RunAsync("check", "orders/app")).Ok();
    }

    [Fact]
    public async Task Settings_both_logins_have_but_the_group_lacks_are_drift()
    {
        var database = await postgres.CreateDatabaseAsync();
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync(database);
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group)).Ok();
        foreach (var login in new[] { group + "_a", group + "_b" })
        {
            await postgres.ExecuteAsync($"ALTER ROLE {Sql.Identifier(login)} IN DATABASE {Sql.Identifier(database)} SET work_mem = '16MB'");
        }

        var run = await sandbox.RunAsync("check", "orders/app");

        run.FailsWith(DriftDetected);
        Assert.Contains($"settings_differ_from_group: login role {group}_a does not carry the settings of {group} (only {group}_a has work_mem=16MB (in database {database}))", run.Out);
        Assert.Contains($"fix: ALTER ROLE \"{group}\" IN DATABASE \"{database}\" SET \"work_mem\" = '16MB';", run.Out);
    }

    [Fact]
    public async Task A_new_secret_under_an_existing_nologin_group_gives_its_logins_the_groups_settings()
    {
        var database = await postgres.CreateDatabaseAsync();
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync(database);
        var group = Unique.Name("app");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(group)} NOLOGIN");
        await postgres.ExecuteAsync($"ALTER ROLE {Sql.Identifier(group)} SET statement_timeout = '45s'");

        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group)).Ok();

        var current = await ClientLogin.GetAsync(sandbox, "orders/app");
        await using var session = await Logins.OpenAsync(postgres, current.Username, new SecretText(current.Password), database);
        Assert.Equal("45s", await session.ScalarAsync<string>("SHOW statement_timeout"));
        (await sandbox.RunAsync("check", "orders/app")).Ok();
    }

    /// <summary>
    /// A legacy LOGIN role with settings of its own, everywhere and in its database (where the sandbox's target points):
    /// a statement timeout, a search path with a quoted schema name, work_mem, and a lock timeout in its database only.
    /// </summary>
    private async Task<(string Orders, string Database)> LegacyAppWithSettingsAsync(CliSandbox sandbox)
    {
        var database = await postgres.CreateDatabaseAsync();
        var orders = Unique.Name("orders");
        var role = Sql.Identifier(orders);
        await postgres.ExecuteAsync($"CREATE ROLE {role} LOGIN");
        await postgres.ExecuteAsync($"ALTER ROLE {role} SET statement_timeout = '30s'");
        await postgres.ExecuteAsync($"ALTER ROLE {role} SET search_path = app, \"My Schema\", public");
        await postgres.ExecuteAsync($"ALTER ROLE {role} SET work_mem = '8MB'");
        await postgres.ExecuteAsync($"ALTER ROLE {role} IN DATABASE {Sql.Identifier(database)} SET lock_timeout = '5s'");
        await sandbox.InitializedWithTargetAsync(database);
        return (orders, database);
    }

    private async Task<(string StatementTimeout, string SearchPath, string WorkMem, string LockTimeout, string ActsAs)> SessionSettingsAsync(ClientLogin.Login login, string database)
    {
        await using var connection = await Logins.OpenAsync(postgres, login.Username, new SecretText(login.Password), database);
        return (await connection.ScalarAsync<string>("SHOW statement_timeout"), await connection.ScalarAsync<string>("SHOW search_path"),
            await connection.ScalarAsync<string>("SHOW work_mem"), await connection.ScalarAsync<string>("SHOW lock_timeout"),
            await connection.ScalarAsync<string>("SELECT current_user::text"));
    }
}

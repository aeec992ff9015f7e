using System.Text.Json;
using PgRotate.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Postgres;

/// <summary>
/// Privilege guidance with a non-superuser rotator, in a database where CONNECT was revoked from PUBLIC: the rotator
/// without CONNECT, a group without CONNECT, pg_read_all_stats, and a privilege lost after setup each get the role that
/// lacks it named and the exact statement that fixes it; 'secret add' refuses before it changes anything.
/// </summary>
public sealed class PrivilegeGuidanceTests(PostgresFixture postgres)
{
    private const int PermissionDenied = 11;

    [Fact]
    public async Task A_rotator_without_connect_is_told_the_exact_grant_by_target_add_and_target_check()
    {
        using var sandbox = new CliSandbox(postgres);
        (await sandbox.RunAsync("init")).Ok();
        var database = await DatabaseWithoutPublicConnectAsync();
        var (rotator, password) = await RotatorAsync("CREATEROLE");
        var grant = $"GRANT CONNECT ON DATABASE \"{database}\" TO \"{rotator}\";";

        var add = await AddTargetAsync(sandbox, "no-connect", rotator, password, database);
        var refused = add.FailsWith(PermissionDenied);
        Assert.StartsWith($"pgrotate: target no-connect ({postgres.Cluster.Host}:{postgres.Cluster.Port}/{database}) as {rotator}: {rotator} may not connect to database {database}: ", refused);
        Assert.EndsWith($"; run as a superuser or the database's owner: {grant}", refused);

        (await AddTargetAsync(sandbox, "no-connect", rotator, password, database, "--no-verify")).Ok();
        Assert.EndsWith(grant, (await sandbox.RunAsync("target", "check", "no-connect")).FailsWith(PermissionDenied));

        await postgres.ExecuteAsync(grant);
        Assert.Contains($"ok: {rotator} can rotate the secrets of this target", (await sandbox.RunAsync("target", "check", "no-connect")).Ok());
    }

    [Fact]
    public async Task A_group_without_connect_is_reported_by_target_check_and_refused_by_secret_add_before_any_change()
    {
        using var sandbox = new CliSandbox(postgres);
        (await sandbox.RunAsync("init")).Ok();
        var database = await DatabaseWithoutPublicConnectAsync();
        var (rotator, password) = await RotatorAsync("CREATEROLE");
        await postgres.ExecuteAsync($"GRANT CONNECT ON DATABASE {Sql.Identifier(database)} TO {Sql.Identifier(rotator)}");
        (await AddTargetAsync(sandbox, "t", rotator, password, database)).Ok();
        var group = Unique.Name("app");
        var expected = new List<string>
        {
            $"CREATE ROLE \"{group}\" NOLOGIN;",
            $"GRANT CONNECT ON DATABASE \"{database}\" TO \"{group}\";",
        };
        if (postgres.MajorVersion >= 16)
        {
            expected.Add($"GRANT \"{group}\" TO \"{rotator}\" WITH ADMIN TRUE, INHERIT FALSE, SET FALSE;");
        }

        var check = await sandbox.RunAsync("target", "check", "t", "--group", group);
        check.FailsWith(PermissionDenied);
        Assert.Contains($"  role {group}: does not exist yet, its logins can connect to {database}: no", check.Out);
        Assert.Equal(expected, PrintedStatements(check.Out));

        var add = await sandbox.RunAsync("secret", "add", "orders/app", "--target", "t", "--group", group);
        Assert.Equal(
            $"pgrotate: {rotator} lacks privileges to set up orders/app on target t, so nothing was changed; run as a superuser: {string.Join(" ", expected)}",
            add.FailsWith(PermissionDenied));
        Assert.False(await postgres.ScalarAsync<bool>($"SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname IN ('{group}', '{group}_a', '{group}_b'))"));
        Assert.Equal("[]", (await sandbox.RunAsync("secret", "list", "--json")).Ok().Trim());

        foreach (var statement in expected)
        {
            await postgres.ExecuteAsync(statement);
        }

        (await sandbox.RunAsync("target", "check", "t", "--group", group)).Ok();
        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", "t", "--group", group)).Ok();
        var current = await sandbox.CurrentVersionAsync("orders/app");
        await using var login = await Logins.OpenAsync(postgres, current.Username, current.Password, database);
        Assert.Equal($"{group}_a/{group}", await login.ScalarAsync<string>("SELECT session_user || '/' || current_user"));
    }

    [Fact]
    public async Task An_existing_group_without_connect_gets_only_the_connect_grant()
    {
        using var sandbox = new CliSandbox(postgres);
        (await sandbox.RunAsync("init")).Ok();
        var database = await DatabaseWithoutPublicConnectAsync();
        var (rotator, password) = await RotatorAsync("CREATEROLE");
        await postgres.ExecuteAsync($"GRANT CONNECT ON DATABASE {Sql.Identifier(database)} TO {Sql.Identifier(rotator)}");
        var group = Unique.Name("app");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(group)} NOLOGIN");
        if (postgres.MajorVersion >= 16)
        {
            await postgres.ExecuteAsync($"GRANT {Sql.Identifier(group)} TO {Sql.Identifier(rotator)} WITH ADMIN TRUE, INHERIT FALSE, SET FALSE");
        }

        (await AddTargetAsync(sandbox, "t", rotator, password, database)).Ok();

        var check = await sandbox.RunAsync("target", "check", "t", "--group", group, "--json");
        check.FailsWith(PermissionDenied);
        var json = JsonDocument.Parse(check.Out).RootElement;
        Assert.Equal([$"GRANT CONNECT ON DATABASE \"{database}\" TO \"{group}\";"], json.GetProperty("missingGrants").EnumerateArray().Select(e => e.GetString()));
        var role = json.GetProperty("roles").EnumerateArray().Single(r => r.GetProperty("name").GetString() == group);
        Assert.False(role.GetProperty("canConnect").GetBoolean());
    }

    [Fact]
    public async Task Target_check_recommends_pg_read_all_stats_for_adopt_finish_without_failing()
    {
        using var sandbox = new CliSandbox(postgres);
        (await sandbox.RunAsync("init")).Ok();
        var (rotator, password) = await RotatorAsync("CREATEROLE");
        (await AddTargetAsync(sandbox, "t", rotator, password, "postgres")).Ok();

        var output = (await sandbox.RunAsync("target", "check", "t")).Ok();

        Assert.Contains($"admin {rotator}: superuser no, createrole yes, pg_read_all_stats no", output);
        var recommended = output.Split('\n').SkipWhile(l => !l.StartsWith("recommended:", StringComparison.Ordinal)).Skip(1)
            .TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
        Assert.Equal([$"GRANT pg_read_all_stats TO \"{rotator}\";"], recommended);

        await postgres.ExecuteAsync(recommended[0]);
        var after = (await sandbox.RunAsync("target", "check", "t")).Ok();
        Assert.Contains($"admin {rotator}: superuser no, createrole yes, pg_read_all_stats yes", after);
        Assert.DoesNotContain("recommended:", after);
    }

    [Fact]
    public async Task A_privilege_lost_after_setup_fails_the_rotation_naming_the_rotator_and_the_fix()
    {
        using var sandbox = new CliSandbox(postgres);
        (await sandbox.RunAsync("init")).Ok();
        var (rotator, password) = await RotatorAsync("CREATEROLE");
        (await AddTargetAsync(sandbox, "t", rotator, password, "postgres")).Ok();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", "t", "--group", group)).Ok();

        // 15: CREATEROLE is what lets the rotator change the login; 16+: the ADMIN option it got by creating the role.
        var lost = postgres.MajorVersion >= 16
            ? $"REVOKE ADMIN OPTION FOR {Sql.Identifier(group + "_b")} FROM {Sql.Identifier(rotator)} GRANTED BY postgres"
            : $"ALTER ROLE {Sql.Identifier(rotator)} NOCREATEROLE";
        await postgres.ExecuteAsync(lost);

        var line = (await sandbox.RunAsync("rotate", "orders/app")).FailsWith(PermissionDenied);

        Assert.Contains($"{rotator} lacks the privilege; as a superuser, run what 'pgrotate target check t' prints", line);
        var fix = PrintedStatements((await sandbox.RunAsync("target", "check", "t")).Out);
        Assert.Equal(
            postgres.MajorVersion >= 16
                ? [$"GRANT \"{group}_b\" TO \"{rotator}\" WITH ADMIN TRUE, INHERIT FALSE, SET FALSE;"]
                : [$"ALTER ROLE \"{rotator}\" CREATEROLE;"],
            fix);
        foreach (var statement in fix)
        {
            await postgres.ExecuteAsync(statement);
        }

        (await sandbox.RunAsync("rotate", "orders/app")).Ok();
    }

    [Fact]
    public async Task A_group_that_lost_connect_fails_the_rotation_test_naming_the_login_and_the_grant()
    {
        using var sandbox = new CliSandbox(postgres);
        (await sandbox.RunAsync("init")).Ok();
        var database = await postgres.CreateDatabaseAsync();
        var (rotator, password) = await RotatorAsync("CREATEROLE");
        (await AddTargetAsync(sandbox, "t", rotator, password, database)).Ok();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", "t", "--group", group)).Ok();
        await postgres.ExecuteAsync($"REVOKE CONNECT ON DATABASE {Sql.Identifier(database)} FROM PUBLIC");
        await postgres.ExecuteAsync($"GRANT CONNECT ON DATABASE {Sql.Identifier(database)} TO {Sql.Identifier(rotator)}");

        var line = (await sandbox.RunAsync("rotate", "orders/app")).FailsWith(14);

        Assert.Contains($"{group}_b may not connect to database {database}: ", line);
        Assert.Contains($"GRANT CONNECT ON DATABASE \"{database}\" TO the group role of \"{group}_b\"", line);
        var check = await sandbox.RunAsync("target", "check", "t");
        check.FailsWith(PermissionDenied);
        Assert.Equal([$"GRANT CONNECT ON DATABASE \"{database}\" TO \"{group}\";"], PrintedStatements(check.Out));
    }

    private async Task<string> DatabaseWithoutPublicConnectAsync()
    {
        var database = await postgres.CreateDatabaseAsync();
        await postgres.ExecuteAsync($"REVOKE CONNECT ON DATABASE {Sql.Identifier(database)} FROM PUBLIC");
        return database;
    }

    private async Task<(string Rotator, string Password)> RotatorAsync(string attributes)
    {
        var rotator = Unique.Name("rotator");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(rotator)} {attributes}");
        return (rotator, (await Logins.GivePasswordAsync(postgres, rotator)).Reveal());
    }

    private Task<CliRun> AddTargetAsync(CliSandbox sandbox, string name, string rotator, string password, string database, params string[] extra) =>
        sandbox.RunWithInputAsync(password + "\n", ["target", "add", name,
            "--conn", $"Host={postgres.Cluster.Host};Port={postgres.Cluster.Port};Database={database};Username={rotator}", "--password-stdin", .. extra]);

    /// <summary>The statements 'target check' asks a superuser to run: the indented lines after its request.</summary>
    private static List<string> PrintedStatements(string output) =>
        output.Split('\n').SkipWhile(l => !l.Contains("run as a superuser:", StringComparison.Ordinal)).Skip(1)
            .TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
}

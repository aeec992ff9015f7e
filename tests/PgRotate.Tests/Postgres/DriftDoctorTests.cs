using System.Text.Json;
using PgRotate.Postgres;
using PgRotate.Roles;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Postgres;

/// <summary>
/// 'pgrotate check' finds each way a secret's roles can drift from the pattern (nothing in PostgreSQL stops a login
/// from undoing its own setup), names the kind, and exits 15.
/// </summary>
public sealed class DriftDoctorTests(PostgresFixture postgres)
{
    private const int DriftDetected = 15;

    [Fact]
    public async Task A_secret_as_set_up_has_no_drift()
    {
        using var sandbox = new CliSandbox(postgres);
        var (group, database) = await SecretAsync(sandbox);
        // Privileges and objects held by the group are the pattern, not drift.
        await postgres.ExecuteAsync($"CREATE TABLE owned_by_group (i int); ALTER TABLE owned_by_group OWNER TO {Sql.Identifier(group)}; GRANT SELECT ON owned_by_group TO {Sql.Identifier(group)}", database);

        var output = (await sandbox.RunAsync("check", "orders/app")).Ok();

        Assert.Equal("ok     orders/app", output.Trim());
    }

    [Fact]
    public async Task A_login_that_lost_its_membership_is_drift()
    {
        using var sandbox = new CliSandbox(postgres);
        var (group, _) = await SecretAsync(sandbox);
        await postgres.ExecuteAsync($"REVOKE {Sql.Identifier(group)} FROM {Sql.Identifier(group + "_a")}");

        await AssertDriftAsync(sandbox, "missing_membership", group + "_a", $"GRANT \"{group}\" TO \"{group}_a\"");
    }

    [Fact]
    public async Task A_login_without_its_role_setting_is_drift()
    {
        using var sandbox = new CliSandbox(postgres);
        var (group, _) = await SecretAsync(sandbox);
        await postgres.ExecuteAsync($"ALTER ROLE {Sql.Identifier(group + "_b")} RESET role");

        await AssertDriftAsync(sandbox, "missing_role_setting", group + "_b", $"ALTER ROLE \"{group}_b\" SET role = '{group}'");
    }

    [Fact]
    public async Task A_login_that_defaults_to_another_role_is_drift()
    {
        using var sandbox = new CliSandbox(postgres);
        var (group, _) = await SecretAsync(sandbox);
        var other = Unique.Name("other");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(other)} NOLOGIN; GRANT {Sql.Identifier(other)} TO {Sql.Identifier(group + "_a")}; ALTER ROLE {Sql.Identifier(group + "_a")} SET role = {Sql.Literal(other)}");

        await AssertDriftAsync(sandbox, "different_role_setting", group + "_a", $"ALTER ROLE \"{group}_a\" SET role = '{group}'");
    }

    [Fact]
    public async Task Settings_that_differ_between_the_two_logins_are_drift()
    {
        using var sandbox = new CliSandbox(postgres);
        var (group, _) = await SecretAsync(sandbox);
        await postgres.ExecuteAsync($"ALTER ROLE {Sql.Identifier(group + "_a")} SET search_path = app, public");

        var drift = await AssertDriftAsync(sandbox, "settings_differ", group + "_b", null);

        Assert.Contains("search_path", drift.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_group_that_can_log_in_is_drift()
    {
        using var sandbox = new CliSandbox(postgres);
        var (group, _) = await SecretAsync(sandbox);
        await postgres.ExecuteAsync($"ALTER ROLE {Sql.Identifier(group)} LOGIN");

        await AssertDriftAsync(sandbox, "group_can_login", group, $"ALTER ROLE \"{group}\" NOLOGIN");
    }

    [Fact]
    public async Task A_privilege_granted_directly_to_a_login_is_drift()
    {
        using var sandbox = new CliSandbox(postgres);
        var (group, database) = await SecretAsync(sandbox);
        var table = Unique.Name("t");
        await postgres.ExecuteAsync($"CREATE TABLE {table} (i int); GRANT SELECT ON {table} TO {Sql.Identifier(group + "_b")}", database);

        // REASSIGN OWNED moves ownership, not grants: the fix moves the grant itself, and running it ends the drift.
        var fix = $"REVOKE SELECT ON TABLE \"public\".\"{table}\" FROM \"{group}_b\"; GRANT SELECT ON TABLE \"public\".\"{table}\" TO \"{group}\"";
        var drift = await AssertDriftAsync(sandbox, "direct_privilege", group + "_b", fix);

        Assert.Contains(table, drift.GetProperty("message").GetString());
        await postgres.ExecuteAsync(fix, database);
        (await sandbox.RunAsync("check", "orders/app")).Ok();
        Assert.True(await postgres.ScalarAsync<bool>($"SELECT has_table_privilege('{group}', '{table}', 'SELECT')", database));
    }

    [Fact]
    public async Task A_privilege_on_a_function_granted_directly_to_a_login_is_moved_to_the_group_by_its_fix()
    {
        using var sandbox = new CliSandbox(postgres);
        var (group, database) = await SecretAsync(sandbox);
        var function = Unique.Name("f");
        await postgres.ExecuteAsync($"CREATE FUNCTION {function}(n integer) RETURNS integer LANGUAGE sql AS 'SELECT n'; REVOKE EXECUTE ON FUNCTION {function}(integer) FROM PUBLIC; GRANT EXECUTE ON FUNCTION {function}(integer) TO {Sql.Identifier(group + "_a")} WITH GRANT OPTION", database);

        var fix = $"REVOKE EXECUTE ON ROUTINE \"public\".\"{function}\"(n integer) FROM \"{group}_a\"; GRANT EXECUTE ON ROUTINE \"public\".\"{function}\"(n integer) TO \"{group}\" WITH GRANT OPTION";
        await AssertDriftAsync(sandbox, "direct_privilege", group + "_a", fix);

        await postgres.ExecuteAsync(fix, database);
        (await sandbox.RunAsync("check", "orders/app")).Ok();
        Assert.True(await postgres.ScalarAsync<bool>($"SELECT has_function_privilege('{group}', '{function}(integer)', 'EXECUTE WITH GRANT OPTION')", database));
    }

    [Fact]
    public async Task A_dropped_login_is_drift_and_the_printed_setup_command_recreates_it_with_its_current_password()
    {
        using var sandbox = new CliSandbox(postgres);
        var (group, database) = await SecretAsync(sandbox);
        var current = await ClientLogin.GetAsync(sandbox, "orders/app");
        await postgres.ExecuteAsync($"DROP ROLE {Sql.Identifier(current.Username)}");

        var run = await sandbox.RunAsync("check", "orders/app", "--json");

        run.FailsWith(DriftDetected);
        var drift = Assert.Single(JsonDocument.Parse(run.Out).RootElement.GetProperty("drift").EnumerateArray());
        Assert.Equal(("missing_role", current.Username), (drift.GetProperty("kind").GetString(), drift.GetProperty("role").GetString()));
        var command = drift.GetProperty("command").GetString()!;
        Assert.Equal($"pgrotate secret add orders/app --target {sandbox.TargetName} --group {group}", command);

        (await sandbox.RunAsync(command.Split(' ')[1..])).Ok();

        (await sandbox.RunAsync("check", "orders/app")).Ok();
        Assert.Equal($"{current.Username}/{group}", await ClientLogin.WhoAmIAsync(postgres, current, database));
    }

    [Fact]
    public async Task Default_privileges_granted_to_a_login_are_drift()
    {
        using var sandbox = new CliSandbox(postgres);
        var (group, database) = await SecretAsync(sandbox);
        await postgres.ExecuteAsync($"ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO {Sql.Identifier(group + "_a")}", database);

        var fix = $"ALTER DEFAULT PRIVILEGES FOR ROLE \"postgres\" REVOKE SELECT ON TABLES FROM \"{group}_a\"; ALTER DEFAULT PRIVILEGES FOR ROLE \"postgres\" GRANT SELECT ON TABLES TO \"{group}\"";
        var drift = await AssertDriftAsync(sandbox, "direct_privilege", group + "_a", fix);

        Assert.Contains("default privileges", drift.GetProperty("message").GetString());
        await postgres.ExecuteAsync(fix, database);
        (await sandbox.RunAsync("check", "orders/app")).Ok();
    }

    [Fact]
    public async Task An_object_owned_by_a_login_is_drift()
    {
        using var sandbox = new CliSandbox(postgres);
        var (group, database) = await SecretAsync(sandbox);
        var table = Unique.Name("t");
        await postgres.ExecuteAsync($"CREATE TABLE {table} (i int); ALTER TABLE {table} OWNER TO {Sql.Identifier(group + "_a")}", database);

        var drift = await AssertDriftAsync(sandbox, "owns_objects", group + "_a", $"REASSIGN OWNED BY \"{group}_a\" TO \"{group}\"");

        Assert.Contains(table, drift.GetProperty("message").GetString());
    }

    /// <summary>Secret orders/app, set up by 'secret add' on a target whose database is the test's own.</summary>
    private async Task<(string Group, string Database)> SecretAsync(CliSandbox sandbox)
    {
        var database = await postgres.CreateDatabaseAsync();
        await sandbox.InitializedWithTargetAsync(database);
        var group = Unique.Name("foo");
        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group)).Ok();
        return (group, database);
    }

    /// <summary>
    /// Runs 'check' as text and as JSON; both exit 15, the text names the kind, and the JSON has exactly one drift of
    /// that kind, on that role, with that fix. Returns the drift.
    /// </summary>
    private static async Task<JsonElement> AssertDriftAsync(CliSandbox sandbox, string kind, string role, string? fix)
    {
        var text = await sandbox.RunAsync("check", "orders/app");
        var error = text.FailsWith(DriftDetected);
        Assert.Contains("drift found in 1 of 1 secret(s)", error);
        Assert.StartsWith("DRIFT  orders/app", text.Out);
        Assert.Contains($"{kind}: ", text.Out);

        var json = await sandbox.RunAsync("check", "orders/app", "--json");
        json.FailsWith(DriftDetected);
        var drift = Assert.Single(JsonDocument.Parse(json.Out).RootElement.GetProperty("drift").EnumerateArray());
        Assert.Equal(kind, drift.GetProperty("kind").GetString());
        Assert.Equal(role, drift.GetProperty("role").GetString());
        Assert.Equal(fix, drift.GetProperty("fix").GetString());
        return drift;
    }
}

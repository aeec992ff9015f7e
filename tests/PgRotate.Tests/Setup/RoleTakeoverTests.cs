using System.Text.Json;
using PgRotate.Crypto;
using PgRotate.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Setup;

/// <summary>
/// No silent takeover: a role that exists before 'secret add' and would get a password, LOGIN, a membership or a role
/// setting is taken over only with --adopt, and listed as such by --dry-run. The admin role, superusers and roles with
/// CREATEROLE, REPLICATION or BYPASSRLS are refused even with --adopt, and PostgreSQL's role keywords are not names.
/// </summary>
public sealed class RoleTakeoverTests(PostgresFixture postgres)
{
    private const int Usage = 2;
    private const int IncompatibleState = 12;
    private const int RotationFailed = 14;

    [Fact]
    public async Task A_single_secret_on_an_existing_role_needs_adopt_once_and_leaves_its_password_alone_without_it()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var other = Unique.Name("otherapp");
        var password = await ExistingLoginAsync(other);
        var before = await RoleFactsAsync(other);

        var line = (await sandbox.RunAsync("secret", "add", "other/app", "--strategy", "single", "--target", sandbox.TargetName, "--group", other)).FailsWith(IncompatibleState);

        Assert.Contains($"would take over existing role on target {sandbox.TargetName}: {other} gets a new password", line);
        Assert.Contains("--adopt", line);
        Assert.Equal(before, await RoleFactsAsync(other));
        await (await Logins.OpenAsync(postgres, other, password)).DisposeAsync();
        Assert.Equal("[]", (await sandbox.RunAsync("secret", "list", "--json")).Ok().Trim());

        (await sandbox.RunAsync("secret", "add", "other/app", "--strategy", "single", "--target", sandbox.TargetName, "--group", other, "--adopt")).Ok();

        var current = await ClientLogin.GetAsync(sandbox, "other/app");
        Assert.Equal($"{other}/{other}", await ClientLogin.WhoAmIAsync(postgres, current));
        Assert.Equal(Npgsql.PostgresErrorCodes.InvalidPassword, await ClientLogin.WhoAmIAsync(postgres, new ClientLogin.Login(other, password.Reveal(), 0)));
        // Once the store knows the secret, the role is pgrotate's own: a rerun needs no --adopt and changes nothing.
        (await sandbox.RunAsync("rotate", "other/app")).Ok();
        Assert.Contains("nothing changed", (await sandbox.RunAsync("secret", "add", "other/app", "--strategy", "single", "--target", sandbox.TargetName, "--group", other)).Ok());
    }

    [Fact]
    public async Task Existing_roles_named_in_logins_need_adopt_and_nothing_is_created_without_it()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        var other = Unique.Name("otherapp2");
        var fresh = Unique.Name("fresh");
        var password = await ExistingLoginAsync(other);
        var before = await RoleFactsAsync(other);

        var line = (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group, "--logins", $"{other},{fresh}")).FailsWith(IncompatibleState);

        Assert.Contains($"{other} gets a new password and LOGIN, becomes a member of {group}, defaults to role {group}", line);
        Assert.Equal(before, await RoleFactsAsync(other));
        await (await Logins.OpenAsync(postgres, other, password)).DisposeAsync();
        Assert.Equal(0L, await postgres.ScalarAsync<long>($"SELECT count(*) FROM pg_roles WHERE rolname IN ('{group}', '{fresh}')"));
    }

    [Fact]
    public async Task The_derived_logins_need_adopt_when_they_already_exist()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(group + "_b")} NOLOGIN");

        var line = (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group)).FailsWith(IncompatibleState);

        Assert.Contains($"{group}_b gets a new password and LOGIN at a rotation", line);
        Assert.Equal(0L, await postgres.ScalarAsync<long>($"SELECT count(*) FROM pg_roles WHERE rolname IN ('{group}', '{group}_a')"));
    }

    [Fact]
    public async Task Dry_run_lists_the_existing_roles_it_would_adopt()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var other = Unique.Name("otherapp");
        await ExistingLoginAsync(other);
        string[] add = ["secret", "add", "other/app", "--strategy", "single", "--target", sandbox.TargetName, "--group", other, "--dry-run"];

        var without = (await sandbox.RunAsync(add)).Ok();
        var with = (await sandbox.RunAsync([.. add, "--adopt"])).Ok();
        var json = JsonDocument.Parse((await sandbox.RunAsync([.. add, "--json"])).Ok()).RootElement;

        Assert.Contains($"-- adopts existing role \"{other}\": gets a new password (the password its clients use now stops working) and LOGIN (requires --adopt)", without);
        Assert.Contains($"-- adopts existing role \"{other}\": gets a new password", with);
        Assert.DoesNotContain("requires --adopt", with);
        Assert.True(json.GetProperty("requiresAdopt").GetBoolean());
        Assert.Equal(other, Assert.Single(json.GetProperty("adopts").EnumerateArray()).GetProperty("role").GetString());
        Assert.Equal("[]", (await sandbox.RunAsync("secret", "list", "--json")).Ok().Trim());
    }

    [Fact]
    public async Task A_new_group_and_logins_are_no_adoption()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();

        var json = JsonDocument.Parse((await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", Unique.Name("app"), "--dry-run", "--json")).Ok()).RootElement;

        Assert.Empty(json.GetProperty("adopts").EnumerateArray());
        Assert.False(json.GetProperty("requiresAdopt").GetBoolean());
    }

    [Fact]
    public async Task A_new_secret_whose_first_login_fails_leaves_no_roles_so_a_rerun_needs_no_adopt()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");

        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group, "--check-sql", "SELECT 1/0")).FailsWith(RotationFailed);

        Assert.Equal(0L, await postgres.ScalarAsync<long>($"SELECT count(*) FROM pg_roles WHERE rolname LIKE '{group}%'"));
        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group, "--check-sql", "SELECT 1")).Ok();
    }

    [Fact]
    public async Task The_targets_own_admin_role_is_refused_even_with_adopt()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var rotator = Unique.Name("rotator");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(rotator)} CREATEROLE");
        var rotatorPassword = await Logins.GivePasswordAsync(postgres, rotator);
        var cluster = postgres.Cluster;
        (await sandbox.RunWithInputAsync(rotatorPassword.Reveal() + "\n", "target", "add", "as-rotator",
            "--conn", $"Host={cluster.Host};Port={cluster.Port};Database=postgres;Username={rotator}", "--password-stdin")).Ok();
        var before = await RoleFactsAsync(rotator);

        var single = (await sandbox.RunAsync("secret", "add", "self/app", "--strategy", "single", "--target", "as-rotator", "--group", rotator, "--adopt")).FailsWith(IncompatibleState);
        var asLogin = (await sandbox.RunAsync("secret", "add", "self/app", "--target", "as-rotator", "--group", Unique.Name("app"), "--logins", $"{rotator},{Unique.Name("b")}", "--adopt")).FailsWith(IncompatibleState);

        Assert.Contains($"role {rotator} is the admin role pgrotate connects to target as-rotator as", single);
        Assert.Contains($"role {rotator} is the admin role", asLogin);
        Assert.Equal(before, await RoleFactsAsync(rotator));
        await (await Logins.OpenAsync(postgres, rotator, rotatorPassword)).DisposeAsync();
    }

    [Theory]
    [InlineData("SUPERUSER")]
    [InlineData("CREATEROLE")]
    [InlineData("REPLICATION")]
    [InlineData("BYPASSRLS")]
    public async Task Powerful_roles_are_refused_even_with_adopt(string attribute)
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var role = Unique.Name("mighty");
        await ExistingLoginAsync(role);
        await postgres.ExecuteAsync($"ALTER ROLE {Sql.Identifier(role)} {attribute}");
        var before = await RoleFactsAsync(role);

        var single = (await sandbox.RunAsync("secret", "add", "a/app", "--strategy", "single", "--target", sandbox.TargetName, "--group", role, "--adopt")).FailsWith(IncompatibleState);
        var group = (await sandbox.RunAsync("secret", "add", "b/app", "--target", sandbox.TargetName, "--group", role, "--adopt")).FailsWith(IncompatibleState);
        var login = (await sandbox.RunAsync("secret", "add", "c/app", "--target", sandbox.TargetName, "--group", Unique.Name("app"), "--logins", $"{role},{Unique.Name("b")}", "--adopt")).FailsWith(IncompatibleState);

        Assert.All(new[] { single, group, login }, line => Assert.Contains($"role {role} has {attribute}", line));
        Assert.Equal(before, await RoleFactsAsync(role));
        Assert.Equal("[]", (await sandbox.RunAsync("secret", "list", "--json")).Ok().Trim());
    }

    [Theory]
    [InlineData("public")]
    [InlineData("PUBLIC")]
    [InlineData("None")]
    [InlineData("current_user")]
    [InlineData("SESSION_USER")]
    [InlineData("Current_Role")]
    public async Task Role_keywords_are_not_role_names(string keyword)
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();

        var single = (await sandbox.RunAsync("secret", "add", "a/app", "--strategy", "single", "--target", sandbox.TargetName, "--group", keyword, "--adopt")).FailsWith(Usage);
        var login = (await sandbox.RunAsync("secret", "add", "c/app", "--target", sandbox.TargetName, "--group", Unique.Name("app"), "--logins", $"{keyword},{Unique.Name("b")}")).FailsWith(Usage);

        Assert.All(new[] { single, login }, line => Assert.Contains($"'{keyword}' is reserved", line));
        Assert.Equal("[]", (await sandbox.RunAsync("secret", "list", "--json")).Ok().Trim());
    }

    /// <summary>Another application's login role, with a password only that application knows.</summary>
    private async Task<SecretText> ExistingLoginAsync(string role)
    {
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(role)}");
        return await Logins.GivePasswordAsync(postgres, role);
    }

    /// <summary>Everything pgrotate could change about one role: attributes, password, expiry, memberships, settings.</summary>
    private Task<string> RoleFactsAsync(string role) => postgres.ScalarAsync<string>(
        $"""
         SELECT concat_ws('|', a.rolcanlogin, a.rolsuper, a.rolcreaterole, a.rolvaliduntil, md5(coalesce(a.rolpassword, '')),
           (SELECT string_agg(m.roleid::regrole::text, ',' ORDER BY 1) FROM pg_auth_members m WHERE m.member = a.oid),
           (SELECT string_agg(s.setconfig::text, ',' ORDER BY 1) FROM pg_db_role_setting s WHERE s.setrole = a.oid))
         FROM pg_authid a WHERE a.rolname = {Sql.Literal(role)}
         """);
}

using Npgsql;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Cli;

/// <summary>'secret remove' forgets a secret; with --drop-roles it drops the two logins (never the group) after ending their sessions.</summary>
public sealed class SecretRemoveTests(PostgresFixture postgres)
{
    private const string Secret = "orders/app";

    [Fact]
    public async Task Remove_forgets_the_secret_and_leaves_every_role_as_it_is()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = await AddAsync(sandbox);
        var current = await sandbox.CurrentVersionAsync(Secret);

        var output = (await sandbox.RunAsync("secret", "remove", Secret)).Ok();

        Assert.Contains($"removed secret {Secret} from the store", output);
        Assert.Contains($"roles {group}, {group}_a, {group}_b on target {sandbox.TargetName} are left as they are", output);
        (await sandbox.RunAsync("secret", "show", Secret)).FailsWith(3);
        Assert.Equal(3L, await postgres.ScalarAsync<long>($"SELECT count(*) FROM pg_roles WHERE rolname IN ('{group}', '{group}_a', '{group}_b')"));
        await using var stillWorks = await Logins.OpenAsync(postgres, current.Username, current.Password);
    }

    [Fact]
    public async Task Drop_roles_ends_the_sessions_drops_both_logins_and_keeps_the_group_and_its_data()
    {
        var database = await postgres.CreateDatabaseAsync();
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync(database);
        var group = await AddAsync(sandbox);
        var current = await sandbox.CurrentVersionAsync(Secret);
        await postgres.ExecuteAsync($"GRANT CREATE ON SCHEMA public TO \"{group}\"", database);
        await using var session = await Logins.OpenAsync(postgres, current.Username, current.Password, database);
        await session.ExecuteAsync("CREATE TABLE orders (id int)");
        // Objects and privileges held by a login directly: moved to the group, or dropped with the login.
        await postgres.ExecuteAsync($"CREATE TABLE owned_by_login (id int); ALTER TABLE owned_by_login OWNER TO \"{group}_b\"; CREATE TABLE granted (id int); GRANT SELECT ON granted TO \"{group}_a\"", database);

        var output = (await sandbox.RunAsync("secret", "remove", Secret, "--drop-roles")).Ok();

        Assert.Contains($"dropped login(s) {group}_a, {group}_b on target {sandbox.TargetName} after ending 1 session(s)", output);
        Assert.Equal(0L, await postgres.ScalarAsync<long>($"SELECT count(*) FROM pg_roles WHERE rolname IN ('{group}_a', '{group}_b')"));
        Assert.Equal(group, await postgres.ScalarAsync<string>("SELECT tableowner::text FROM pg_tables WHERE tablename = 'orders'", database));
        Assert.Equal(group, await postgres.ScalarAsync<string>("SELECT tableowner::text FROM pg_tables WHERE tablename = 'owned_by_login'", database));
        Assert.False(await postgres.ScalarAsync<bool>($"SELECT rolcanlogin FROM pg_roles WHERE rolname = '{group}'"));
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => session.ExecuteAsync("SELECT 1"));
        (await sandbox.RunAsync("secret", "show", Secret)).FailsWith(3);
    }

    [Fact]
    public async Task Dry_run_shows_the_statements_and_changes_nothing()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = await AddAsync(sandbox);
        var before = await sandbox.StoreBytesAsync();

        var output = (await sandbox.RunAsync("secret", "remove", Secret, "--drop-roles", "--dry-run")).Ok();

        Assert.Contains($"ALTER ROLE \"{group}_a\" NOLOGIN;", output);
        // Every statement shown runs as printed: the session query names its roles in the text, not as a parameter.
        var terminate = Assert.Single(output.Split('\n'), l => l.Contains("pg_terminate_backend", StringComparison.Ordinal));
        Assert.Contains($"'{{{group}_a,{group}_b}}'::name[]", terminate);
        Assert.Equal(0L, await postgres.ScalarAsync<long>(terminate.TrimEnd(';')));
        Assert.Contains($"REASSIGN OWNED BY \"{group}_a\", \"{group}_b\" TO \"{group}\";", output);
        Assert.Contains($"DROP OWNED BY \"{group}_a\", \"{group}_b\";", output);
        Assert.Contains($"DROP ROLE \"{group}_b\";", output);
        Assert.DoesNotContain($"DROP ROLE \"{group}\";", output);
        Assert.Equal(before, await sandbox.StoreBytesAsync());
        Assert.True(await postgres.ScalarAsync<bool>($"SELECT rolcanlogin FROM pg_roles WHERE rolname = '{group}_a'"));
        Assert.Equal(2L, await postgres.ScalarAsync<long>($"SELECT count(*) FROM pg_roles WHERE rolname IN ('{group}_a', '{group}_b')"));
    }

    [Fact]
    public async Task Drop_roles_on_a_single_secret_is_refused_because_its_role_owns_the_data()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var role = Unique.Name("solo");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", role, "--strategy", "single")).Ok();

        var line = (await sandbox.RunAsync("secret", "remove", Secret, "--drop-roles")).FailsWith(2);

        Assert.Contains("never drops", line);
        Assert.Equal(1L, await postgres.ScalarAsync<long>($"SELECT count(*) FROM pg_roles WHERE rolname = '{role}'"));
        (await sandbox.RunAsync("secret", "show", Secret)).Ok();
    }

    [Fact]
    public async Task A_rotator_without_the_privileges_of_the_roles_is_refused_before_any_change_with_the_grant_that_fixes_it()
    {
        var database = await postgres.CreateDatabaseAsync();
        var rotator = Unique.Name("rotator");
        await postgres.ExecuteAsync($"CREATE ROLE \"{rotator}\" CREATEROLE");
        var password = await Logins.GivePasswordAsync(postgres, rotator);
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync(database, rotator, password.Reveal());
        var group = await AddAsync(sandbox);

        var line = (await sandbox.RunAsync("secret", "remove", Secret, "--drop-roles")).FailsWith(11);

        Assert.Contains($"{rotator} cannot drop the logins of secret {Secret}", line);
        Assert.True(await postgres.ScalarAsync<bool>($"SELECT rolcanlogin FROM pg_roles WHERE rolname = '{group}_a'"));
        (await sandbox.RunAsync("secret", "show", Secret)).Ok();

        // The GRANT the message gives is the one that makes the rerun work.
        var grant = System.Text.RegularExpressions.Regex.Match(line, "Run as a superuser: (GRANT [^;]+;)").Groups[1].Value;
        Assert.Contains($"\"{group}_a\", \"{group}_b\", \"{group}\"", grant);
        await postgres.ExecuteAsync(grant);
        (await sandbox.RunAsync("secret", "remove", Secret, "--drop-roles")).Ok();
        Assert.Equal(0L, await postgres.ScalarAsync<long>($"SELECT count(*) FROM pg_roles WHERE rolname IN ('{group}_a', '{group}_b')"));
        Assert.Equal(1L, await postgres.ScalarAsync<long>($"SELECT count(*) FROM pg_roles WHERE rolname = '{group}'"));
    }

    private static async Task<string> AddAsync(CliSandbox sandbox)
    {
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group)).Ok();
        return group;
    }
}

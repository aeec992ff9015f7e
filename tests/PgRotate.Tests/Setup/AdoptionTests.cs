using PgRotate.Crypto;
using PgRotate.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Setup;

/// <summary>Taking over a single-user app (group role foo is a LOGIN role in use) without breaking its sessions.</summary>
public sealed class AdoptionTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Adoption_keeps_old_sessions_working_and_new_logins_act_as_the_old_role()
    {
        using var sandbox = new CliSandbox(postgres);
        var (foo, database, fooPassword) = await LegacyAppAsync(sandbox);
        await using var old = await Logins.OpenAsync(postgres, foo, fooPassword, database, "legacy-app");
        await old.ExecuteAsync("INSERT INTO orders VALUES (1)");

        var output = (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", foo, "--adopt")).Ok();

        Assert.Contains("adopt-finish", output);
        await old.ExecuteAsync("INSERT INTO orders VALUES (2)");
        Assert.Equal(3L, await old.ScalarAsync<long>("SELECT count(*) FROM orders"));
        var current = await sandbox.CurrentVersionAsync("orders/app");
        await using var fresh = await Logins.OpenAsync(postgres, current.Username, current.Password, database);
        Assert.Equal(foo + "_a", current.Username);
        Assert.Equal(foo, await fresh.ScalarAsync<string>("SELECT current_user::text"));
        await fresh.ExecuteAsync("INSERT INTO orders VALUES (3)");
        Assert.Equal(4L, await fresh.ScalarAsync<long>("SELECT count(*) FROM orders"));
        await fresh.ExecuteAsync("CREATE TABLE made_after_adoption (i int)");
        Assert.Equal(foo, await postgres.ScalarAsync<string>("SELECT tableowner::text FROM pg_tables WHERE tablename = 'made_after_adoption'", database));
        // The old role can still log in until adopt-finish.
        await using var another = await Logins.OpenAsync(postgres, foo, fooPassword, database);
        Assert.Equal(foo, await another.ScalarAsync<string>("SELECT session_user::text"));
    }

    [Fact]
    public async Task Adopt_finish_refuses_while_the_old_role_has_sessions_and_names_their_application()
    {
        using var sandbox = new CliSandbox(postgres);
        var (foo, database, fooPassword) = await LegacyAppAsync(sandbox);
        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", foo, "--adopt")).Ok();
        await using var old = await Logins.OpenAsync(postgres, foo, fooPassword, database, "legacy-app");
        await old.ExecuteAsync("SELECT count(*) FROM orders");

        var refused = (await sandbox.RunAsync("secret", "adopt-finish", "orders/app", "--quiet-period", "0s")).FailsWith(16);

        Assert.Contains("legacy-app from 127.0.0.1 (1)", refused);
        Assert.True(await postgres.ScalarAsync<bool>($"SELECT rolcanlogin FROM pg_roles WHERE rolname = '{foo}'"));
        Assert.Equal(1L, await old.ScalarAsync<long>("SELECT 1::bigint"));
        await old.DisposeAsync();
        await WaitUntilGoneAsync(foo);

        (await sandbox.RunAsync("secret", "adopt-finish", "orders/app", "--quiet-period", "0s")).Ok();

        Assert.False(await postgres.ScalarAsync<bool>($"SELECT rolcanlogin FROM pg_roles WHERE rolname = '{foo}'"));
        var login = await Assert.ThrowsAsync<Npgsql.PostgresException>(async () => await Logins.OpenAsync(postgres, foo, fooPassword, database));
        Assert.Equal(Npgsql.PostgresErrorCodes.InvalidAuthorizationSpecification, login.SqlState);
        var current = await sandbox.CurrentVersionAsync("orders/app");
        await using var fresh = await Logins.OpenAsync(postgres, current.Username, current.Password, database);
        Assert.Equal(1L, await fresh.ScalarAsync<long>("SELECT count(*) FROM orders"));
        var show = (await sandbox.RunAsync("secret", "show", "orders/app")).Ok();
        Assert.Contains("adoption   adopted", show);
    }

    [Fact]
    public async Task A_non_superuser_rotator_can_adopt_and_is_told_which_clients_remain()
    {
        using var sandbox = new CliSandbox(postgres);
        var (foo, database, fooPassword) = await LegacyAppAsync(sandbox);
        var rotator = Unique.Name("rotator");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(rotator)} CREATEROLE");
        if (postgres.MajorVersion >= 16)
        {
            await postgres.ExecuteAsync($"GRANT {Sql.Identifier(foo)} TO {Sql.Identifier(rotator)} WITH ADMIN TRUE, INHERIT FALSE, SET FALSE");
        }

        var rotatorPassword = await Logins.GivePasswordAsync(postgres, rotator);
        var cluster = postgres.Cluster;
        (await sandbox.RunWithInputAsync(rotatorPassword.Reveal() + "\n", "target", "add", "as-rotator",
            "--conn", $"Host={cluster.Host};Port={cluster.Port};Database={database};Username={rotator}", "--password-stdin")).Ok();
        (await sandbox.RunAsync("target", "check", "as-rotator", "--group", foo)).Ok();
        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", "as-rotator", "--group", foo, "--adopt")).Ok();
        var current = await sandbox.CurrentVersionAsync("orders/app");
        await using (var fresh = await Logins.OpenAsync(postgres, current.Username, current.Password, database))
        {
            Assert.Equal($"{foo}_a/{foo}", await fresh.ScalarAsync<string>("SELECT session_user || '/' || current_user"));
        }

        await using var old = await Logins.OpenAsync(postgres, foo, fooPassword, database, "legacy-app");
        await old.ExecuteAsync("SELECT count(*) FROM orders");

        var refused = (await sandbox.RunAsync("secret", "adopt-finish", "orders/app", "--quiet-period", "0s")).FailsWith(16);

        // Without pg_read_all_stats the rotator sees the application name but not the address: it says so rather than
        // guess one, and names the role that would show it.
        Assert.Contains($"role {foo} still has sessions: legacy-app from an address hidden from {rotator} (pg_read_all_stats shows it) (1).", refused);
        await old.DisposeAsync();
        await WaitUntilGoneAsync(foo);
        (await sandbox.RunAsync("secret", "adopt-finish", "orders/app", "--quiet-period", "0s")).Ok();
        Assert.False(await postgres.ScalarAsync<bool>($"SELECT rolcanlogin FROM pg_roles WHERE rolname = '{foo}'"));
    }

    /// <summary>
    /// A single-user app as it is found: a LOGIN role with a password that owns a table with a row in a database of
    /// its own; the sandbox gets a target on that database.
    /// </summary>
    private async Task<(string Foo, string Database, SecretText Password)> LegacyAppAsync(CliSandbox sandbox)
    {
        var database = await postgres.CreateDatabaseAsync();
        var foo = Unique.Name("foo");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(foo)}");
        var password = await Logins.GivePasswordAsync(postgres, foo);
        await postgres.ExecuteAsync($"GRANT CREATE ON SCHEMA public TO {Sql.Identifier(foo)}", database);
        await using (var app = await Logins.OpenAsync(postgres, foo, password, database))
        {
            await app.ExecuteAsync("CREATE TABLE orders (id int)");
            await app.ExecuteAsync("INSERT INTO orders VALUES (0)");
        }

        await sandbox.InitializedWithTargetAsync(database);
        return (foo, database, password);
    }

    /// <summary>A closed connection's backend leaves pg_stat_activity a moment after the client hangs up; poll until it has.</summary>
    private async Task WaitUntilGoneAsync(string role)
    {
        await using var connection = await postgres.Cluster.OpenSuperuserConnectionAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await connection.ScalarAsync<long>($"SELECT count(*) FROM pg_stat_activity WHERE usename = '{role}'") > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"sessions of {role} did not end");
        }
    }
}

using PgRotate.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Setup;

/// <summary>The alternating-users pattern, end to end: whichever login a client uses, it acts as the group and its objects belong to the group.</summary>
public sealed class SecretAddPatternTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Tables_created_through_either_login_are_owned_by_the_group()
    {
        var database = await postgres.CreateDatabaseAsync();
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync(database);
        var group = Unique.Name("foo");
        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group)).Ok();
        await postgres.ExecuteAsync($"GRANT CREATE ON SCHEMA public TO {Sql.Identifier(group)}", database);
        var current = await sandbox.CurrentVersionAsync("orders/app");
        Assert.Equal(group + "_a", current.Username);
        // foo_b is NOLOGIN until its first rotation; give it a password here, as a rotation would.
        var passwordB = await Logins.GivePasswordAsync(postgres, group + "_b");

        await using (var a = await Logins.OpenAsync(postgres, group + "_a", current.Password, database))
        {
            await a.ExecuteAsync("CREATE TABLE made_by_a (i int)");
        }

        await using (var b = await Logins.OpenAsync(postgres, group + "_b", passwordB, database))
        {
            await b.ExecuteAsync("CREATE TABLE made_by_b (i int)");
        }

        Assert.Equal(group, await postgres.ScalarAsync<string>("SELECT tableowner::text FROM pg_tables WHERE tablename = 'made_by_a'", database));
        Assert.Equal(group, await postgres.ScalarAsync<string>("SELECT tableowner::text FROM pg_tables WHERE tablename = 'made_by_b'", database));
    }

    [Theory]
    [InlineData("RESET ROLE")]
    [InlineData("RESET ALL")]
    [InlineData("DISCARD ALL")]
    public async Task A_session_reset_as_poolers_do_keeps_acting_as_the_group(string reset)
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("foo");
        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group)).Ok();
        var current = await sandbox.CurrentVersionAsync("orders/app");
        await using var session = await Logins.OpenAsync(postgres, current.Username, current.Password);
        Assert.Equal(group, await session.ScalarAsync<string>("SELECT current_user::text"));

        await session.ExecuteAsync(reset);

        Assert.Equal(group, await session.ScalarAsync<string>("SELECT current_user::text"));
        Assert.Equal(current.Username, await session.ScalarAsync<string>("SELECT session_user::text"));
    }
}

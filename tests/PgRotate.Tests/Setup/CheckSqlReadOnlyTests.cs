using PgRotate.Crypto;
using PgRotate.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Setup;

/// <summary>
/// --check-sql proves a credential can read what the application needs; it runs read-only and is rolled back, so a
/// check cannot change the login it is judging (or anything else) before that login is promoted.
/// </summary>
public sealed class CheckSqlReadOnlyTests(PostgresFixture postgres)
{
    private const int RotationFailed = 14;

    [Fact]
    public async Task A_check_that_changes_the_new_logins_password_fails_the_setup_and_changes_nothing()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var role = Unique.Name("solo");
        var planted = PasswordGenerator.Generate();
        var check = $"ALTER ROLE CURRENT_USER PASSWORD {Sql.Literal(ScramVerifier.Create(planted))}";

        var line = (await sandbox.RunAsync("secret", "add", "legacy/app", "--strategy", "single", "--target", sandbox.TargetName, "--group", role,
            "--check-sql", check)).FailsWith(RotationFailed);

        Assert.Contains("read-only transaction", line);
        Assert.Equal(0L, await postgres.ScalarAsync<long>($"SELECT count(*) FROM pg_roles WHERE rolname = '{role}'"));
        Assert.Equal("[]", (await sandbox.RunAsync("secret", "list", "--json")).Ok().Trim());
    }

    [Theory]
    [InlineData("CREATE TABLE {0} (i int)")]
    [InlineData("INSERT INTO {1} VALUES (1)")]
    [InlineData("SELECT 1; CREATE TABLE {0} (i int)")]
    [InlineData("COMMIT; CREATE TABLE {0} (i int)")]
    [InlineData("ROLLBACK; INSERT INTO {1} VALUES (1)")]
    [InlineData("SET TRANSACTION READ WRITE; INSERT INTO {1} VALUES (1)")]
    public async Task A_check_that_writes_fails_the_setup_and_writes_nothing(string template)
    {
        var database = await postgres.CreateDatabaseAsync();
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync(database);
        var group = Unique.Name("app");
        var created = Unique.Name("made_by_check");
        var existing = Unique.Name("rows");
        await postgres.ExecuteAsync($"CREATE TABLE {existing} (i int); GRANT ALL ON {existing} TO PUBLIC; GRANT CREATE ON SCHEMA public TO PUBLIC", database);

        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group,
            "--check-sql", string.Format(System.Globalization.CultureInfo.InvariantCulture, template, created, existing))).FailsWith(RotationFailed);

        Assert.Equal(0L, await postgres.ScalarAsync<long>($"SELECT count(*) FROM pg_class WHERE relname = '{created}'", database));
        Assert.Equal(0L, await postgres.ScalarAsync<long>($"SELECT count(*) FROM {existing}", database));
        Assert.Equal("[]", (await sandbox.RunAsync("secret", "list", "--json")).Ok().Trim());
    }

    [Fact]
    public async Task A_check_that_writes_only_as_the_next_login_fails_the_rotation_and_writes_nothing()
    {
        var database = await postgres.CreateDatabaseAsync();
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync(database);
        var group = Unique.Name("app");
        var audit = Unique.Name("audit");
        // Harmless as the first login (secret add tests it too); writes when the second login runs it at the first rotation.
        await postgres.ExecuteAsync(
            $"""
             CREATE TABLE {audit} (who text); GRANT ALL ON {audit} TO PUBLIC;
             CREATE FUNCTION {audit}_check() RETURNS int LANGUAGE plpgsql AS $$
             BEGIN
               IF session_user::text = '{group}_b' THEN INSERT INTO {audit} VALUES (session_user); END IF;
               RETURN 1;
             END $$;
             """, database);
        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group, "--check-sql", $"SELECT {audit}_check()")).Ok();
        var first = await ClientLogin.GetAsync(sandbox, "orders/app");

        var line = (await sandbox.RunAsync("rotate", "orders/app")).FailsWith(RotationFailed);

        Assert.Contains("read-only transaction", line);
        Assert.Equal(0L, await postgres.ScalarAsync<long>($"SELECT count(*) FROM {audit}", database));
        Assert.Equal(first, await ClientLogin.GetAsync(sandbox, "orders/app"));
    }

    [Fact]
    public async Task A_check_that_only_reads_passes()
    {
        var database = await postgres.CreateDatabaseAsync();
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync(database);
        var group = Unique.Name("app");
        var table = Unique.Name("rows");
        await postgres.ExecuteAsync($"CREATE TABLE {table} (i int); INSERT INTO {table} VALUES (1); GRANT SELECT ON {table} TO PUBLIC", database);

        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group,
            "--check-sql", $"SELECT 1 / count(*)::int FROM {table};")).Ok();
        (await sandbox.RunAsync("rotate", "orders/app")).Ok();

        Assert.Equal(group + "_b", (await ClientLogin.GetAsync(sandbox, "orders/app")).Username);
    }
}

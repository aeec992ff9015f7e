using PgRotate.Postgres;
using PgRotate.Rotation;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary>
/// The places a plaintext <c>ALTER ROLE … PASSWORD</c> would leak to (docs/postgres-facts.md, section 3): the server log, including the
/// STATEMENT lines of failed statements; pg_stat_statements; and pg_stat_activity, which shows an idle session's last
/// statement. pgrotate sends verifiers, so no generated password may appear in any of them, after successful and
/// failed rotations of every kind.
/// </summary>
public sealed class RotationLeakTests(PostgresFixture postgres)
{
    [Fact]
    public async Task No_generated_password_reaches_the_server_log_pg_stat_statements_or_pg_stat_activity()
    {
        var ct = TestContext.Current.CancellationToken;
        var tracked = await EnablePgStatStatementsAsync();
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        var single = Unique.Name("app1");
        var broken = Unique.Name("app");
        var failing = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group, "--grace", "1h")).Ok();
        (await sandbox.RunAsync("secret", "add", "legacy/app", "--strategy", "single", "--target", sandbox.TargetName, "--group", single)).Ok();
        (await sandbox.RunAsync("secret", "add", "broken/app", "--target", sandbox.TargetName, "--group", broken)).Ok();
        (await sandbox.RunAsync("secret", "add", "failing/app", "--target", sandbox.TargetName, "--group", failing,
            "--check-sql", $"SELECT 1/(session_user <> '{failing}_b')::int")).Ok();
        var outputs = new List<string>();

        // Successful rotations of both strategies, twice so each alternating login gets a generated password.
        foreach (var secret in new[] { "orders/app", "orders/app", "legacy/app", "legacy/app" })
        {
            var run = await sandbox.RunAsync("rotate", secret, "--force");
            outputs.Add(run.Ok() + run.Error);
        }

        // Failures: a failing test (the new login is then invalidated) and a failing set (the server logs the statement).
        var testFailure = await sandbox.RunAsync("rotate", "failing/app");
        testFailure.FailsWith(14);
        await postgres.ExecuteAsync($"DROP ROLE \"{broken}_b\"");
        var setFailure = await sandbox.RunAsync("rotate", "broken/app");
        setFailure.FailsWith(17);
        outputs.AddRange([testFailure.Out + testFailure.Error, setFailure.Out + setFailure.Error]);

        // One more rotation in-process, keeping the engine's pooled admin session open (idle) to look at it.
        var store = await sandbox.OpenStoreAsync();
        await using var connector = new TargetConnector();
        await new RotationEngine(store, connector, TimeProvider.System).RotateAsync(new RotationRequest("orders/app", Force: true), ct);
        int adminPid;
        await using (var pooled = await connector.OpenAdminAsync(await store.GetTargetAsync(sandbox.TargetName, ct), ct))
        {
            adminPid = pooled.ProcessID;
        }

        var passwords = new List<string>();
        foreach (var secret in new[] { "orders/app", "legacy/app", "broken/app", "failing/app" })
        {
            passwords.AddRange((await store.ListVersionsAsync(secret, ct)).Select(v => v.Password.Reveal()));
        }

        Assert.Equal(4 + 3 + 2 + 2, passwords.Distinct().Count());

        // The server log: log_statement=all records every statement pgrotate sent, and the failed set's ERROR.
        var log = await postgres.Cluster.ReadServerLogAsync(ct);
        Assert.Contains($"ALTER ROLE \"{group}_b\" WITH LOGIN PASSWORD 'SCRAM-SHA-256$", log);
        Assert.Contains($"role \"{broken}_b\" does not exist", log);
        AssertNoPassword(passwords, log, "the server log");
        foreach (var output in outputs)
        {
            AssertNoPassword(passwords, output, "pgrotate's output");
            Assert.DoesNotContain("SCRAM-SHA-256$", output);
        }

        // pg_stat_statements keeps utility statements verbatim.
        if (tracked)
        {
            var statements = await QueryTextsAsync("SELECT query FROM pg_stat_statements");
            Assert.Contains(statements, q => q.Contains($"ALTER ROLE \"{single}\" WITH LOGIN PASSWORD 'SCRAM-SHA-256$", StringComparison.Ordinal));
            AssertNoPassword(passwords, string.Join("\n", statements), "pg_stat_statements");
        }
        else
        {
            Assert.False(await postgres.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements')"),
                "pg_stat_statements is installed on this server but was not loaded, so it could not be checked");
        }

        // pg_stat_activity shows the last statement of an idle session: pgrotate's is never one holding a verifier.
        Assert.Equal("SELECT 1", Assert.Single(await QueryTextsAsync($"SELECT query FROM pg_stat_activity WHERE pid = {adminPid} AND state = 'idle'")));
        var idle = await QueryTextsAsync("SELECT query FROM pg_stat_activity WHERE application_name = 'pgrotate' AND state = 'idle'");
        Assert.NotEmpty(idle);
        Assert.DoesNotContain(idle, q => q.Contains("SCRAM-SHA-256$", StringComparison.Ordinal));
        AssertNoPassword(passwords, string.Join("\n", await QueryTextsAsync("SELECT query FROM pg_stat_activity")), "pg_stat_activity");
    }

    [Fact]
    public async Task Rotating_the_admin_password_leaves_no_password_in_the_server_log_or_pg_stat_activity()
    {
        var ct = TestContext.Current.CancellationToken;
        var rotator = Unique.Name("rotator");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(rotator)} CREATEROLE");
        var old = await Logins.GivePasswordAsync(postgres, rotator);
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync(user: rotator, password: old.Reveal());
        var run = await sandbox.RunAsync("target", "rotate-admin", sandbox.TargetName);
        run.Ok();
        var store = await sandbox.OpenStoreAsync();
        var stored = (await store.GetTargetAsync(sandbox.TargetName, ct)).Password.Reveal();

        var log = await postgres.Cluster.ReadServerLogAsync(ct);
        Assert.Contains(log.Split('\n'), line => line.Contains($" {rotator}@postgres ", StringComparison.Ordinal)
            && line.Contains("ALTER ROLE CURRENT_USER PASSWORD 'SCRAM-SHA-256$", StringComparison.Ordinal));
        AssertNoPassword([old.Reveal(), stored], log + run.Out + run.Error, "the server log or pgrotate's output");
        AssertNoPassword([old.Reveal(), stored], string.Join("\n", await QueryTextsAsync("SELECT query FROM pg_stat_activity")), "pg_stat_activity");
        Assert.DoesNotContain(await QueryTextsAsync($"SELECT query FROM pg_stat_activity WHERE usename = '{rotator}'"),
            q => q.Contains("SCRAM-SHA-256$", StringComparison.Ordinal));
    }

    /// <summary>Creates the extension where the server preloads it; false when this server has no pg_stat_statements.</summary>
    private async Task<bool> EnablePgStatStatementsAsync()
    {
        if (!await postgres.ScalarAsync<bool>("SELECT current_setting('shared_preload_libraries') LIKE '%pg_stat_statements%'"))
        {
            return false;
        }

        await postgres.ExecuteAsync("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        return true;
    }

    private async Task<List<string>> QueryTextsAsync(string sql)
    {
        await using var connection = await postgres.Cluster.OpenSuperuserConnectionAsync(cancellationToken: TestContext.Current.CancellationToken);
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var texts = new List<string>();
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            texts.Add(reader.IsDBNull(0) ? "" : reader.GetString(0));
        }

        return texts;
    }

    private static void AssertNoPassword(IEnumerable<string> passwords, string text, string where)
    {
        foreach (var password in passwords)
        {
            Assert.False(text.Contains(password, StringComparison.Ordinal), $"a generated password appears in {where}");
        }
    }
}

using PgRotate.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Postgres;

/// <summary>
/// 'target check' tells a DBA exactly what a non-superuser rotator lacks (different on 15 and 16+), and running what it
/// prints is enough for 'secret add' to work as that rotator.
/// </summary>
public sealed class TargetCheckTests(PostgresFixture postgres)
{
    private const int PermissionDenied = 11;

    [Fact]
    public async Task The_grants_target_check_prints_are_all_a_rotator_needs_for_existing_roles()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var (rotator, target) = await RotatorTargetAsync(sandbox);
        var foo = Unique.Name("foo");
        foreach (var role in new[] { foo, foo + "_a", foo + "_b" })
        {
            await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(role)} NOLOGIN");
        }

        var check = await sandbox.RunAsync("target", "check", target, "--group", foo);

        Assert.Contains($"{rotator} lacks the privileges", check.FailsWith(PermissionDenied));
        var statements = PrintedStatements(check.Out);
        var expected = new List<string> { $"ALTER ROLE \"{rotator}\" CREATEROLE;" };
        if (postgres.MajorVersion >= 16)
        {
            // Only the ADMIN option, no privileges of the roles: the rotator cannot read the group's data.
            expected.Add($"GRANT \"{foo}\", \"{foo}_a\", \"{foo}_b\" TO \"{rotator}\" WITH ADMIN TRUE, INHERIT FALSE, SET FALSE;");
        }

        Assert.Equal(expected, statements);

        foreach (var statement in statements)
        {
            await postgres.ExecuteAsync(statement);
        }

        var ok = (await sandbox.RunAsync("target", "check", target, "--group", foo)).Ok();
        Assert.Contains($"ok: {rotator} can rotate the secrets of this target", ok);

        // The logins existed before pgrotate, so taking them over needs --adopt.
        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", target, "--group", foo, "--adopt")).Ok();

        var current = await sandbox.CurrentVersionAsync("orders/app");
        await using var login = await Logins.OpenAsync(postgres, current.Username, current.Password);
        Assert.Equal($"{foo}_a/{foo}", await login.ScalarAsync<string>("SELECT session_user || '/' || current_user"));
        Assert.False(await postgres.ScalarAsync<bool>($"SELECT rolsuper FROM pg_roles WHERE rolname = '{rotator}'"));
        (await sandbox.RunAsync("check", "orders/app")).Ok();
    }

    [Fact]
    public async Task A_rotator_with_only_createrole_can_set_up_roles_that_do_not_exist_yet()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var (rotator, target) = await RotatorTargetAsync(sandbox);
        var foo = Unique.Name("foo");
        var check = await sandbox.RunAsync("target", "check", target, "--group", foo);
        check.FailsWith(PermissionDenied);
        Assert.Equal([$"ALTER ROLE \"{rotator}\" CREATEROLE;"], PrintedStatements(check.Out));
        await postgres.ExecuteAsync($"ALTER ROLE {Sql.Identifier(rotator)} CREATEROLE");

        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", target, "--group", foo)).Ok();

        var current = await sandbox.CurrentVersionAsync("orders/app");
        await using var login = await Logins.OpenAsync(postgres, current.Username, current.Password);
        Assert.Equal($"{foo}_a/{foo}", await login.ScalarAsync<string>("SELECT session_user || '/' || current_user"));
        (await sandbox.RunAsync("target", "check", target, "--group", foo)).Ok();
    }

    [Fact]
    public async Task Target_check_of_a_superuser_admin_passes_with_a_note()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();

        var output = (await sandbox.RunAsync("target", "check", sandbox.TargetName, "--group", Unique.Name("foo"))).Ok();

        Assert.Contains("admin postgres: superuser yes", output);
        Assert.Contains("note: postgres is a superuser", output);
    }

    [Fact]
    public async Task The_optional_settings_target_check_prints_keep_verifiers_out_of_the_server_log()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var (rotator, target) = await RotatorTargetAsync(sandbox);
        await postgres.ExecuteAsync($"ALTER ROLE {Sql.Identifier(rotator)} CREATEROLE");

        // Before: the test cluster logs every statement, the rotator's verifiers included (never a password).
        var group = Unique.Name("foo");
        (await sandbox.RunAsync("secret", "add", "hardened/app", "--target", target, "--group", group)).Ok();
        var before = await VerifierLinesOfAsync(rotator);
        Assert.NotEmpty(before);

        var output = (await sandbox.RunAsync("target", "check", target)).Ok();

        var hardening = output.Split('\n').SkipWhile(l => !l.StartsWith("optional:", StringComparison.Ordinal)).Skip(1)
            .TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
        Assert.Contains($"ALTER ROLE \"{rotator}\" SET log_statement = 'none';", hardening);
        Assert.Contains($"ALTER ROLE \"{rotator}\" SET log_min_error_statement = 'panic';", hardening);
        foreach (var statement in hardening)
        {
            await postgres.ExecuteAsync(statement);
        }

        (await sandbox.RunAsync("rotate", "hardened/app")).Ok();
        Assert.DoesNotContain("optional:", (await sandbox.RunAsync("target", "check", target)).Ok());

        // After: the rotation ran as the rotator (foo_b can log in now) but added no verifier to the log.
        Assert.True(await postgres.ScalarAsync<bool>($"SELECT rolcanlogin FROM pg_roles WHERE rolname = '{group}_b'"));
        Assert.Equal(before, await VerifierLinesOfAsync(rotator));
    }

    private async Task<List<string>> VerifierLinesOfAsync(string user) =>
        (await postgres.Cluster.ReadServerLogAsync(TestContext.Current.CancellationToken)).Split('\n')
            .Where(l => l.Contains($" {user}@", StringComparison.Ordinal) && l.Contains("SCRAM-SHA-256$", StringComparison.Ordinal))
            .ToList();

    /// <summary>A LOGIN role with a password and no other privilege, registered as a second target of the sandbox.</summary>
    private async Task<(string Rotator, string Target)> RotatorTargetAsync(CliSandbox sandbox)
    {
        var rotator = Unique.Name("rotator");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(rotator)}");
        var password = await Logins.GivePasswordAsync(postgres, rotator);
        var target = Unique.Name("rt").Replace('_', '-');
        var cluster = postgres.Cluster;
        (await sandbox.RunWithInputAsync(password.Reveal() + "\n", "target", "add", target,
            "--conn", $"Host={cluster.Host};Port={cluster.Port};Database=postgres;Username={rotator}", "--password-stdin")).Ok();
        return (rotator, target);
    }

    /// <summary>The statements 'target check' asks a superuser to run: the indented lines after its request.</summary>
    private static List<string> PrintedStatements(string output) =>
        output.Split('\n').SkipWhile(l => !l.Contains("run as a superuser:", StringComparison.Ordinal)).Skip(1)
            .Where(l => l.StartsWith("  ", StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
}

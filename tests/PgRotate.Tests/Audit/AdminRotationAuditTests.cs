using PgRotate.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Audit;

/// <summary><c>target rotate-admin</c> records its outcome in the audit log, success and failure, never the password.</summary>
public sealed class AdminRotationAuditTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_rotated_admin_password_is_recorded_naming_the_targets()
    {
        var rotator = Unique.Name("rotator");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(rotator)} CREATEROLE");
        var password = await Logins.GivePasswordAsync(postgres, rotator);
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync(user: rotator, password: password.Reveal());

        (await sandbox.RunAsync("target", "rotate-admin", sandbox.TargetName)).Ok();
        var tail = (await sandbox.RunAsync("audit", "tail")).Ok();

        Assert.Contains("admin.rotated", tail, StringComparison.Ordinal);
        Assert.Contains($"targets {sandbox.TargetName}", tail, StringComparison.Ordinal);
        Assert.DoesNotContain(password.Reveal(), tail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_admin_rotation_is_recorded_with_its_error_code()
    {
        using var sandbox = new CliSandbox(postgres);
        (await sandbox.RunAsync("init")).Ok();
        (await sandbox.RunWithInputAsync("pw\n", "target", "add", "nowhere", "--conn", "Host=127.0.0.1;Port=1;Username=rotator", "--password-stdin", "--no-verify")).Ok();

        (await sandbox.RunAsync("target", "rotate-admin", "nowhere")).FailsWith(9);
        var tail = (await sandbox.RunAsync("audit", "tail")).Ok();

        Assert.Contains("admin.rotation_failed", tail, StringComparison.Ordinal);
        Assert.Contains("target nowhere; target_unreachable", tail, StringComparison.Ordinal);
    }
}

using PgRotate.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Leases;

/// <summary>
/// <c>secret remove</c> of a dynamic secret revokes every lease of it first (their logins dropped), and keeps the
/// secret when a lease cannot be revoked, so no lease role is ever left without the secret that could drop it.
/// </summary>
public sealed class DynamicSecretRemoveTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Remove_revokes_both_active_leases_drops_their_logins_and_forgets_the_secret()
    {
        using var leases = await LeaseSandbox.CreateAsync(postgres);
        var first = await leases.IssueAsync();
        var second = await leases.IssueAsync();
        await using (var session = await leases.LoginAsync(first))
        {
            var output = (await leases.Cli.RunAsync("secret", "remove", leases.Secret)).Ok();

            Assert.Contains($"revoked 2 lease(s) of {leases.Secret}", output);
            Assert.Contains($"removed secret {leases.Secret} from the store", output);
        }

        Assert.False(await leases.RoleExistsAsync(first.Username));
        Assert.False(await leases.RoleExistsAsync(second.Username));
        Assert.Empty(await leases.LeaseRolesAsync());
        Assert.True(await leases.RoleExistsAsync(leases.Group), "the group, which owns the data, stays");
        (await leases.Cli.RunAsync("secret", "show", leases.Secret)).FailsWith(3);
        var audit = (await leases.Cli.RunAsync("audit", "tail", "-n", "10")).Ok();
        Assert.Contains($"lease {first.LeaseId}: role {first.Username} dropped (secret_removed)", audit);
        Assert.Contains($"lease {second.LeaseId}: role {second.Username} dropped (secret_removed)", audit);
    }

    [Fact]
    public async Task Dry_run_names_the_leases_it_would_revoke_and_changes_nothing()
    {
        using var leases = await LeaseSandbox.CreateAsync(postgres);
        var lease = await leases.IssueAsync();

        var output = (await leases.Cli.RunAsync("secret", "remove", leases.Secret, "--dry-run")).Ok();

        Assert.Contains($"-- lease {lease.LeaseId} would be revoked: its login {lease.Username} dropped", output);
        Assert.True(await leases.RoleExistsAsync(lease.Username));
        (await leases.Cli.RunAsync("secret", "show", leases.Secret)).Ok();
    }

    [Fact]
    public async Task A_lease_whose_login_cannot_be_dropped_keeps_the_secret_with_one_error_line_naming_it()
    {
        var blocked = await postgres.CreateDatabaseAsync();
        using var leases = await LeaseSandbox.CreateAsync(postgres);
        var fine = await leases.IssueAsync();
        var stuck = await leases.IssueAsync();
        // The stuck lease owns a table in a database nobody may enter: REASSIGN OWNED cannot run there, so DROP ROLE cannot either.
        await postgres.ExecuteAsync($"CREATE TABLE held (id int); ALTER TABLE held OWNER TO {Sql.Identifier(stuck.Username)}", blocked);
        await postgres.ExecuteAsync($"ALTER DATABASE {Sql.Identifier(blocked)} ALLOW_CONNECTIONS false");
        try
        {
            var error = (await leases.Cli.RunAsync("secret", "remove", leases.Secret)).FailsWith(17);

            Assert.Contains($"secret {leases.Secret} is not removed", error);
            Assert.Contains($"lease {stuck.LeaseId} (role {stuck.Username})", error);
            Assert.DoesNotContain(fine.LeaseId, error);
            Assert.Contains("run 'pgrotate secret remove", error);
            (await leases.Cli.RunAsync("secret", "show", leases.Secret)).Ok();
            Assert.True(await leases.RoleExistsAsync(stuck.Username));
            Assert.False(await leases.RoleExistsAsync(fine.Username));
            Assert.Contains("lease.revocation_failed", (await leases.Cli.RunAsync("audit", "tail", "-n", "10")).Ok());
        }
        finally
        {
            await postgres.ExecuteAsync($"ALTER DATABASE {Sql.Identifier(blocked)} ALLOW_CONNECTIONS true");
        }
    }
}

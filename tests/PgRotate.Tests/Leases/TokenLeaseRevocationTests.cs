using PgRotate.Contracts;
using PgRotate.Leases;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Leases;

/// <summary><c>token revoke</c> ends the leases that token issued, and only those.</summary>
public sealed class TokenLeaseRevocationTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Revoking_a_token_revokes_the_leases_it_issued_and_leaves_the_others()
    {
        using var sandbox = await LeaseSandbox.CreateAsync(postgres);
        (await sandbox.Cli.RunAsync("token", "create", "--name", "svc", "--policy", "lease:*")).Ok();
        await using var store = await sandbox.Cli.OpenStoreAsync();
        await using var connector = new PgRotate.Postgres.TargetConnector();
        var byToken = await new LeaseIssuer(store.WithActor("token:svc"), connector, TimeProvider.System)
            .IssueAsync(sandbox.Secret, null, TestContext.Current.CancellationToken);
        var byCli = await sandbox.IssueAsync();

        var output = (await sandbox.Cli.RunAsync("token", "revoke", "svc")).Ok();

        Assert.Contains("1 lease(s) it issued revoked", output);
        Assert.False(await sandbox.RoleExistsAsync(byToken.Lease.Role));
        Assert.True(await sandbox.RoleExistsAsync(byCli.Username));
        var leases = (await sandbox.ListAsync("--all")).ToDictionary(l => l.Id);
        Assert.Equal((LeaseStatus.Revoked, "token_revoked"), (leases[byToken.Lease.Id].Status, leases[byToken.Lease.Id].RevokeReason));
        Assert.Equal(LeaseStatus.Active, leases[byCli.LeaseId].Status);
    }
}

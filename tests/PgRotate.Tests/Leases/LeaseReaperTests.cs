using System.Diagnostics.Metrics;
using Microsoft.Extensions.Time.Testing;
using PgRotate.Contracts;
using PgRotate.Leases;
using PgRotate.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Leases;

/// <summary>The reaper on a fake clock: it ends exactly the leases whose expiry passed, and retries a failed revocation.</summary>
public sealed class LeaseReaperTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_reaper_pass_revokes_exactly_the_leases_whose_expiry_has_passed()
    {
        var time = CliSandbox.FakeTime();
        using var sandbox = await LeaseSandbox.CreateAsync(postgres, time);
        var shortLease = await sandbox.IssueAsync("--ttl", "1h");
        var longLease = await sandbox.IssueAsync("--ttl", "3h");
        time.Advance(TimeSpan.FromMinutes(59));
        var early = PgRotateJson.Deserialize<LeaseReapResult>((await sandbox.Cli.RunAsync("lease", "reap", "--json")).Ok())!;
        Assert.Equal(0, early.Revoked);
        Assert.True(await sandbox.RoleExistsAsync(shortLease.Username));

        time.Advance(TimeSpan.FromMinutes(61));
        var result = PgRotateJson.Deserialize<LeaseReapResult>((await sandbox.Cli.RunAsync("lease", "reap", "--json")).Ok())!;

        Assert.Equal((1, 0), (result.Revoked, result.Failed));
        Assert.False(await sandbox.RoleExistsAsync(shortLease.Username));
        Assert.True(await sandbox.RoleExistsAsync(longLease.Username));
        var leases = (await sandbox.ListAsync("--all")).ToDictionary(l => l.Id);
        Assert.Equal((LeaseStatus.Revoked, "expired"), (leases[shortLease.LeaseId].Status, leases[shortLease.LeaseId].RevokeReason));
        Assert.Equal(LeaseStatus.Active, leases[longLease.LeaseId].Status);
        Assert.Contains("lease.revoked", (await sandbox.Cli.RunAsync("audit", "tail", "-n", "5")).Ok());
    }

    [Fact]
    public async Task A_revocation_that_fails_is_recorded_with_its_error_counted_and_retried_once_due()
    {
        var time = CliSandbox.FakeTime();
        using var sandbox = await LeaseSandbox.CreateAsync(postgres, time);
        var failures = new List<long>();
        using var listener = FailureListener(sandbox.Secret, failures);
        var lease = await sandbox.IssueAsync("--ttl", "1h");
        // A privilege granted by someone whose grants the rotator cannot revoke: DROP ROLE is refused until it goes.
        var blocker = Unique.Name("blocker");
        await postgres.ExecuteAsync($"CREATE TABLE {Sql.Identifier(blocker)} (i int); GRANT SELECT ON {Sql.Identifier(blocker)} TO {Sql.Identifier(lease.Username)}");
        time.Advance(TimeSpan.FromHours(2));

        var failed = PgRotateJson.Deserialize<LeaseReapResult>((await sandbox.Cli.RunAsync("lease", "reap", "--json")).Ok())!;

        Assert.Equal((0, 1), (failed.Revoked, failed.Failed));
        Assert.True(await sandbox.RoleExistsAsync(lease.Username));
        var listed = Assert.Single(await sandbox.ListAsync());
        Assert.Equal((LeaseStatus.Revoking, 1), (listed.Status, listed.RevokeAttempts));
        Assert.Contains("2BP01", listed.LastError);
        Assert.Equal(time.GetUtcNow() + LeaseRevoker.Backoff(1), listed.NextAttemptAt);
        Assert.Contains("revoking (expired)", (await sandbox.Cli.RunAsync("lease", "list")).Ok());
        Assert.Equal([1L], failures);
        // Not due yet: nothing is tried.
        Assert.Equal(0, PgRotateJson.Deserialize<LeaseReapResult>((await sandbox.Cli.RunAsync("lease", "reap", "--json")).Ok())!.Failed);

        await postgres.ExecuteAsync($"DROP TABLE {Sql.Identifier(blocker)}");
        time.Advance(LeaseRevoker.Backoff(1));
        var retried = PgRotateJson.Deserialize<LeaseReapResult>((await sandbox.Cli.RunAsync("lease", "reap", "--json")).Ok())!;

        Assert.Equal((1, 0), (retried.Revoked, retried.Failed));
        Assert.False(await sandbox.RoleExistsAsync(lease.Username));
        Assert.Equal(LeaseStatus.Revoked, Assert.Single(await sandbox.ListAsync("--all")).Status);
    }

    /// <summary>Counts <c>pgrotate.leases.revocation_failures</c> for one secret (other tests run in parallel in this process).</summary>
    private static MeterListener FailureListener(string secret, List<long> failures)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == LeaseMetrics.MeterName && instrument.Name == "pgrotate.leases.revocation_failures")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "secret" && Equals(tag.Value, secret))
                {
                    lock (failures)
                    {
                        failures.Add(value);
                    }
                }
            }
        });
        listener.Start();
        return listener;
    }
}

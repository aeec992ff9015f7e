using Microsoft.Extensions.Time.Testing;
using PgRotate.Cli;
using PgRotate.Contracts;
using PgRotate.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Leases;

/// <summary>
/// The orphan sweep drops a lease role the store never recorded (a crash between CREATE ROLE and the store write),
/// only once it is older than the safety margin, and never any other role.
/// </summary>
public sealed class OrphanSweepTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_lease_role_left_by_a_crash_before_the_store_write_is_swept_once_older_than_the_safety_margin()
    {
        using var sandbox = await LeaseSandbox.CreateAsync(postgres);

        var crashed = await CliProcess.RunAsync(sandbox.Cli, FaultInjection.KillAfterLeaseRole, "lease", "issue", sandbox.Secret);

        Assert.Equal(CliProcess.KilledExitCode, crashed.ExitCode);
        var orphan = Assert.Single(await sandbox.LeaseRolesAsync());
        Assert.Empty(await sandbox.ListAsync("--all"));
        // Right now it could be a lease being stored: left alone.
        var now = PgRotateJson.Deserialize<LeaseReapResult>((await sandbox.Cli.RunAsync("lease", "reap", "--json")).Ok())!;
        Assert.Empty(now.Swept);
        Assert.True(await sandbox.RoleExistsAsync(orphan));

        using var later = sandbox.At(new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(10)));
        var swept = PgRotateJson.Deserialize<LeaseReapResult>((await later.RunAsync("lease", "reap", "--json")).Ok())!;

        Assert.Equal([orphan], swept.Swept);
        Assert.False(await sandbox.RoleExistsAsync(orphan));
        Assert.Contains("lease.swept", (await later.RunAsync("audit", "tail", "-n", "3")).Ok());
    }

    [Fact]
    public async Task The_sweep_leaves_the_group_other_logins_and_roles_not_shaped_or_marked_as_leases_alone()
    {
        using var sandbox = await LeaseSandbox.CreateAsync(postgres);
        var group = Sql.Identifier(sandbox.Group);
        var prefix = sandbox.Group + "_l_";
        var old = "'pgrotate lease issued 2020-01-01T00:00:00.000Z'";
        var untouched = new Dictionary<string, string>
        {
            [sandbox.Group + "_a"] = $"GRANT {group} TO {{0}}",                                            // alternating logins
            [sandbox.Group + "_b"] = $"GRANT {group} TO {{0}}",
            [prefix + "notmember0"] = $"COMMENT ON ROLE {{0}} IS {old}",                                   // not in the group
            [prefix + "nocomment0"] = $"GRANT {group} TO {{0}}",                                           // not marked
            [prefix + "short"] = $"GRANT {group} TO {{0}}; COMMENT ON ROLE {{0}} IS {old}",                // not the shape
            [prefix + "upper0000X"] = $"GRANT {group} TO {{0}}; COMMENT ON ROLE {{0}} IS {old}",
            [Unique.Name("other") + "_l_abcdefghij"] = $"GRANT {group} TO {{0}}; COMMENT ON ROLE {{0}} IS {old}", // another prefix
        };
        foreach (var (role, setup) in untouched)
        {
            await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(role)} LOGIN; " + string.Format(System.Globalization.CultureInfo.InvariantCulture, setup, Sql.Identifier(role)));
        }

        // A real orphan, made the way the issuer makes them (by the rotator), so the sweep demonstrably ran.
        var orphan = prefix + "abcdefghij";
        await using (var rotator = await Logins.OpenAsync(postgres, sandbox.Rotator, sandbox.RotatorPassword))
        {
            await rotator.ExecuteAsync($"CREATE ROLE {Sql.Identifier(orphan)} LOGIN; COMMENT ON ROLE {Sql.Identifier(orphan)} IS {old}; GRANT {group} TO {Sql.Identifier(orphan)}");
        }

        var lease = await sandbox.IssueAsync();
        using var later = sandbox.At(new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(10)));

        var swept = PgRotateJson.Deserialize<LeaseReapResult>((await later.RunAsync("lease", "reap", "--json")).Ok())!;

        Assert.Equal([orphan], swept.Swept);
        Assert.True(await sandbox.RoleExistsAsync(sandbox.Group));
        Assert.True(await sandbox.RoleExistsAsync(lease.Username));
        foreach (var role in untouched.Keys)
        {
            Assert.True(await sandbox.RoleExistsAsync(role), role);
        }
    }
}

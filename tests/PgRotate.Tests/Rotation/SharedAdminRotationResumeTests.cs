using PgRotate.Crypto;
using PgRotate.Postgres;
using PgRotate.Secrets;
using PgRotate.Store;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary>
/// <c>target rotate-admin</c> resumed from the pending admin versions an interrupted run left on targets that share
/// the role: the password in force is stored and promoted for every one of them, and a stale pending version that is
/// not the role's password is marked failed, never promoted.
/// </summary>
public sealed class SharedAdminRotationResumeTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_run_that_died_after_set_with_the_pending_version_stored_for_one_target_is_finished_for_both()
    {
        var (sandbox, rotator, other) = await TwoTargetsSharingARoleAsync();
        using var _ = sandbox;
        var store = await sandbox.OpenStoreAsync();
        var next = PasswordGenerator.Generate();
        await AddPendingAsync(store, sandbox.TargetName, next);
        await postgres.ExecuteAsync($"ALTER ROLE {Sql.Identifier(rotator)} PASSWORD {Sql.Literal(ScramVerifier.Create(next))}");

        (await sandbox.RunAsync("target", "rotate-admin", other)).Ok();

        foreach (var target in new[] { sandbox.TargetName, other })
        {
            Assert.Equal(next, (await store.GetTargetAsync(target, Ct)).Password);
            Assert.Equal([(1, Stage.Current)], (await store.ListAdminVersionsAsync(target, Ct)).Select(v => (v.Number, v.Stage)));
            Assert.Equal(["pending", "rotated"], (await store.ListAdminHistoryAsync(target, Ct)).Select(e => e.Event));
        }
    }

    [Fact]
    public async Task A_stale_pending_version_of_a_sharing_target_is_marked_failed_and_the_password_in_force_promoted()
    {
        var (sandbox, rotator, other) = await TwoTargetsSharingARoleAsync();
        using var _ = sandbox;
        var store = await sandbox.OpenStoreAsync();
        var inForce = PasswordGenerator.Generate();
        var stale = PasswordGenerator.Generate();
        await AddPendingAsync(store, sandbox.TargetName, inForce);
        await AddPendingAsync(store, other, stale);
        await postgres.ExecuteAsync($"ALTER ROLE {Sql.Identifier(rotator)} PASSWORD {Sql.Literal(ScramVerifier.Create(inForce))}");

        (await sandbox.RunAsync("target", "rotate-admin", sandbox.TargetName)).Ok();

        Assert.Equal(inForce, (await store.GetTargetAsync(other, Ct)).Password);
        var versions = await store.ListAdminVersionsAsync(other, Ct);
        Assert.Equal([(1, Stage.Failed), (2, Stage.Current)], versions.Select(v => (v.Number, v.Stage)));
        Assert.Equal(stale, versions[0].Password);
        Assert.Equal([(1, "pending"), (1, "failed"), (2, "pending"), (2, "rotated")], (await store.ListAdminHistoryAsync(other, Ct)).Select(e => (e.Version, e.Event)));
        (await sandbox.RunAsync("target", "check", other)).Ok();
    }

    private static async Task AddPendingAsync(ISecretStore store, string target, SecretText password)
    {
        var state = await store.LoadAdminRotationStateAsync(target, Ct);
        await store.AddPendingAdminVersionAsync(
            new SecretVersion(target, state.HighestVersion + 1, state.Target.Username, password, Stage.Pending, DateTimeOffset.UtcNow, null, null), Ct);
    }

    /// <summary>A sandbox whose target and a second one (another database, same server and admin user) share a non-superuser rotator role.</summary>
    private async Task<(CliSandbox Sandbox, string Rotator, string Other)> TwoTargetsSharingARoleAsync()
    {
        var rotator = Unique.Name("rotator");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(rotator)} CREATEROLE");
        var password = await Logins.GivePasswordAsync(postgres, rotator);
        var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync(user: rotator, password: password.Reveal());
        var database = await postgres.CreateDatabaseAsync();
        var other = Unique.Name("t").Replace('_', '-');
        (await sandbox.RunWithInputAsync(password.Reveal() + "\n", "target", "add", other,
            "--conn", $"Host={postgres.Cluster.Host};Port={postgres.Cluster.Port};Database={database};Username={rotator}", "--password-stdin")).Ok();
        return (sandbox, rotator, other);
    }
}

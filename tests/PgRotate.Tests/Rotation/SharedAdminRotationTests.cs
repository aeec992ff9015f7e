using Npgsql;
using PgRotate.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary>
/// A role is per server: targets registered with the same server and admin user share its password, so
/// <c>target rotate-admin</c> on one of them updates all of them.
/// </summary>
public sealed class SharedAdminRotationTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Rotating_the_admin_of_one_target_updates_every_target_with_the_same_server_and_user()
    {
        var rotator = Unique.Name("rotator");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(rotator)} CREATEROLE");
        var oldPassword = await Logins.GivePasswordAsync(postgres, rotator);
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync(user: rotator, password: oldPassword.Reveal());
        var database = await postgres.CreateDatabaseAsync();
        var other = Unique.Name("t").Replace('_', '-');
        var cluster = postgres.Cluster;
        (await sandbox.RunWithInputAsync(oldPassword.Reveal() + "\n", "target", "add", other,
            "--conn", $"Host={cluster.Host};Port={cluster.Port};Database={database};Username={rotator}", "--password-stdin")).Ok();
        // Same server, another admin user: a different role, left alone.
        var superuserTarget = Unique.Name("t").Replace('_', '-');
        (await sandbox.RunWithInputAsync(cluster.SuperuserPassword.Reveal() + "\n", "target", "add", superuserTarget,
            "--conn", $"Host={cluster.Host};Port={cluster.Port};Database=postgres;Username=postgres", "--password-stdin")).Ok();

        var output = (await sandbox.RunAsync("target", "rotate-admin", sandbox.TargetName)).Ok();

        Assert.Contains($"; also stored for {other} (same server and admin user)", output);
        Assert.DoesNotContain(superuserTarget, output);
        (await sandbox.RunAsync("target", "check", sandbox.TargetName)).Ok();
        (await sandbox.RunAsync("target", "check", other)).Ok();
        await Assert.ThrowsAsync<PostgresException>(async () => await Logins.OpenAsync(postgres, rotator, oldPassword));
        var store = await sandbox.OpenStoreAsync();
        var ct = TestContext.Current.CancellationToken;
        var first = (await store.GetTargetAsync(sandbox.TargetName, ct)).Password;
        Assert.Equal(first, (await store.GetTargetAsync(other, ct)).Password);
        Assert.Null((await store.LoadAdminRotationStateAsync(other, ct)).Pending);
        Assert.Equal([Secrets.Stage.Current], (await store.ListAdminVersionsAsync(other, ct)).Select(v => v.Stage));
        await using var connection = await Logins.OpenAsync(postgres, rotator, first, database);
        Assert.Equal(cluster.SuperuserPassword, (await store.GetTargetAsync(superuserTarget, ct)).Password);
    }
}

using Npgsql;
using PgRotate.Crypto;
using PgRotate.Postgres;
using PgRotate.Secrets;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary><c>pgrotate target rotate-admin</c> on a non-superuser rotator with CREATEROLE, including its resume after a crash.</summary>
public sealed class AdminRotationTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Rotating_the_admin_password_retires_the_old_one_and_pgrotate_keeps_working_with_the_new_one()
    {
        var (sandbox, rotator, oldPassword) = await RotatorSandboxAsync();
        using var _ = sandbox;

        var output = (await sandbox.RunAsync("target", "rotate-admin", sandbox.TargetName)).Ok();

        Assert.Contains($"rotated the admin password of target {sandbox.TargetName} ({rotator})", output);
        Assert.Equal(PostgresErrorCodes.InvalidPassword, await ConnectErrorAsync(rotator, oldPassword));
        var stored = await StoredAdminPasswordAsync(sandbox);
        Assert.NotEqual(oldPassword.Reveal(), stored.Reveal());
        Assert.DoesNotContain(stored.Reveal(), output);
        Assert.Null(await ConnectErrorAsync(rotator, stored));
        (await sandbox.RunAsync("target", "check", sandbox.TargetName)).Ok();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group)).Ok();
        await RotateRun.RunAsync(sandbox, "orders/app");
        await SecretState.AssertSettledAsync(postgres, sandbox, "orders/app", group);
    }

    [Fact]
    public async Task A_rotate_admin_that_died_between_set_and_finish_is_finished_by_the_next_run()
    {
        var (sandbox, rotator, oldPassword) = await RotatorSandboxAsync();
        using var _ = sandbox;
        var ct = TestContext.Current.CancellationToken;
        var store = await sandbox.OpenStoreAsync();
        // What a run killed after "set" leaves: the new password stored as pending and already in force on the server.
        var next = PasswordGenerator.Generate();
        await StorePendingAdminPasswordAsync(store, sandbox.TargetName, next);
        await postgres.ExecuteAsync($"ALTER ROLE {Sql.Identifier(rotator)} PASSWORD {Sql.Literal(ScramVerifier.Create(next))}");
        (await sandbox.RunAsync("target", "check", sandbox.TargetName)).FailsWith(10);

        (await sandbox.RunAsync("target", "rotate-admin", sandbox.TargetName)).Ok();

        Assert.Equal(next.Reveal(), (await StoredAdminPasswordAsync(sandbox)).Reveal());
        Assert.Null((await store.LoadAdminRotationStateAsync(sandbox.TargetName, ct)).Pending);
        Assert.Equal(PostgresErrorCodes.InvalidPassword, await ConnectErrorAsync(rotator, oldPassword));
        (await sandbox.RunAsync("target", "check", sandbox.TargetName)).Ok();
    }

    [Fact]
    public async Task A_rotate_admin_that_died_before_set_sets_the_stored_pending_password()
    {
        var (sandbox, rotator, oldPassword) = await RotatorSandboxAsync();
        using var _ = sandbox;
        var ct = TestContext.Current.CancellationToken;
        var store = await sandbox.OpenStoreAsync();
        var next = PasswordGenerator.Generate();
        await StorePendingAdminPasswordAsync(store, sandbox.TargetName, next);

        (await sandbox.RunAsync("target", "rotate-admin", sandbox.TargetName)).Ok();

        Assert.Equal(next.Reveal(), (await StoredAdminPasswordAsync(sandbox)).Reveal());
        Assert.Null((await store.LoadAdminRotationStateAsync(sandbox.TargetName, ct)).Pending);
        Assert.Null(await ConnectErrorAsync(rotator, next));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, await ConnectErrorAsync(rotator, oldPassword));
    }

    [Fact]
    public async Task A_target_with_the_longest_allowed_name_rotates_its_admin_password()
    {
        var (sandbox, rotator, oldPassword) = await RotatorSandboxAsync();
        using var _ = sandbox;
        var cluster = postgres.Cluster;
        var name = new string('t', SecretName.MaxLength);
        (await sandbox.RunWithInputAsync(oldPassword.Reveal() + "\n", "target", "add", name,
            "--conn", $"Host={cluster.Host};Port={cluster.Port};Database=postgres;Username={rotator}", "--password-stdin")).Ok();

        (await sandbox.RunAsync("target", "rotate-admin", name)).Ok();

        Assert.Equal(PostgresErrorCodes.InvalidPassword, await ConnectErrorAsync(rotator, oldPassword));
        (await sandbox.RunAsync("target", "check", name)).Ok();
    }

    /// <summary>A sandbox whose target's admin is a new non-superuser login with CREATEROLE.</summary>
    private async Task<(CliSandbox Sandbox, string Rotator, SecretText Password)> RotatorSandboxAsync()
    {
        var rotator = Unique.Name("rotator");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(rotator)} CREATEROLE");
        var password = await Logins.GivePasswordAsync(postgres, rotator);
        var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync(user: rotator, password: password.Reveal());
        return (sandbox, rotator, password);
    }

    /// <summary>What a run killed after "create" leaves: the new password stored as the target's pending admin version.</summary>
    private static async Task StorePendingAdminPasswordAsync(PgRotate.Store.ISecretStore store, string target, SecretText password)
    {
        var ct = TestContext.Current.CancellationToken;
        var state = await store.LoadAdminRotationStateAsync(target, ct);
        await store.AddPendingAdminVersionAsync(
            new SecretVersion(target, state.HighestVersion + 1, state.Target.Username, password, Stage.Pending, DateTimeOffset.UtcNow, null, null), ct);
    }

    private static async Task<SecretText> StoredAdminPasswordAsync(CliSandbox sandbox)
    {
        var store = await sandbox.OpenStoreAsync();
        return (await store.GetTargetAsync(sandbox.TargetName, TestContext.Current.CancellationToken)).Password;
    }

    /// <summary>Null when <paramref name="user"/> logs in with <paramref name="password"/>, else the SQLSTATE.</summary>
    private async Task<string?> ConnectErrorAsync(string user, SecretText password)
    {
        try
        {
            await using var connection = await Logins.OpenAsync(postgres, user, password);
            return null;
        }
        catch (PostgresException e)
        {
            return e.SqlState;
        }
    }
}

using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Roles;
using PgRotate.Targets;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Security;

/// <summary>
/// pgrotate gives a password only to SCRAM: a server (or an impostor on its address) that asks for it in cleartext or
/// as an MD5 hash gets no password message at all, neither the admin password from 'target add' nor a new login's
/// password from a rotation's test login; the CLI says why in one line.
/// </summary>
public sealed class RequireAuthTests(PostgresFixture postgres)
{
    private const int AuthenticationFailed = 10;

    [Theory]
    [InlineData(FakePostgresServer.Ask.Cleartext, "cleartext")]
    [InlineData(FakePostgresServer.Ask.Md5, "MD5")]
    public async Task Target_add_sends_no_password_to_a_server_asking_for_a_weak_password(FakePostgresServer.Ask ask, string named)
    {
        await using var fake = new FakePostgresServer(ask);
        using var sandbox = new CliSandbox(postgres);
        (await sandbox.RunAsync("init")).Ok();

        var run = await sandbox.RunWithInputAsync(PasswordGenerator.Generate().Reveal() + "\n",
            "target", "add", "fake", "--conn", $"Host=127.0.0.1;Port={fake.Port};Database=postgres;Username=rotator", "--password-stdin");

        Assert.DoesNotContain('p', fake.ReceivedAfterAsking);
        var line = run.FailsWith(AuthenticationFailed);
        Assert.Contains("target fake", line);
        Assert.Contains($"asked for {(ask == FakePostgresServer.Ask.Md5 ? "an MD5 password hash" : "the password in cleartext")}", line);
        Assert.Contains("pgrotate sent nothing", line);
        Assert.Contains(named, line);
        Assert.NotEmpty(fake.StartupUsers); // Npgsql retries once without GSS encryption: each attempt is asked, none answers
        Assert.All(fake.StartupUsers, user => Assert.Equal("rotator", user));
        Assert.DoesNotContain("\"fake\"", (await sandbox.RunAsync("target", "list", "--json")).Ok());
    }

    [Theory]
    [InlineData(FakePostgresServer.Ask.Cleartext)]
    [InlineData(FakePostgresServer.Ask.Md5)]
    public async Task A_rotation_test_login_sends_no_password_to_a_server_asking_for_a_weak_password(FakePostgresServer.Ask ask)
    {
        await using var fake = new FakePostgresServer(ask);
        var target = new Target("fake", $"Host=127.0.0.1;Port={fake.Port};Database=postgres", "rotator", PasswordGenerator.Generate());
        await using var connector = new TargetConnector();

        var error = await Assert.ThrowsAsync<PgRotateException>(() =>
            new CredentialTester(new TargetOperations(connector, TimeProvider.System)).TestAsync(target, "app_b", PasswordGenerator.Generate(), "app", null, TestContext.Current.CancellationToken));

        Assert.DoesNotContain('p', fake.ReceivedAfterAsking);

        Assert.Equal(ErrorCode.AuthenticationFailed, error.Code);
        Assert.StartsWith($"login as app_b on 127.0.0.1:{fake.Port}/postgres: the server asked for", error.Message);
        Assert.NotEmpty(fake.StartupUsers);
        Assert.All(fake.StartupUsers, user => Assert.Equal("app_b", user));
    }
}

using PgRotate.Errors;
using PgRotate.Server.VaultCompatibility;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Vault;

/// <summary><c>serve --vault-mount</c> and <c>--no-vault</c>: which mounts are taken, refused before anything is opened.</summary>
public sealed class VaultMountTests(PostgresFixture postgres)
{
    [Theory]
    [InlineData("database", "database")]
    [InlineData("/db/prod/", "db/prod")]
    [InlineData("Postgres_1.x-y", "Postgres_1.x-y")]
    public void A_mount_path_is_taken_without_its_surrounding_slashes(string text, string mount) => Assert.Equal(mount, VaultMount.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("db//prod")]
    [InlineData("db/../x")]
    [InlineData("db prod")]
    [InlineData("db?x")]
    [InlineData("sys")]
    [InlineData("auth/x")]
    [InlineData("secrets")]
    [InlineData("leases")]
    [InlineData("audit")]
    public void A_mount_that_is_not_a_path_or_shadows_another_is_refused(string text) =>
        Assert.Equal(ErrorCode.InvalidInput, Assert.Throws<PgRotateException>(() => VaultMount.Parse(text)).Code);

    [Theory]
    [InlineData("--vault-mount", "sys")]
    [InlineData("--vault-mount", "a b")]
    [InlineData("--no-vault", "--vault-mount", "database")]
    public async Task Serve_refuses_a_bad_mount_with_exit_2_and_one_line(params string[] options)
    {
        using var sandbox = new CliSandbox(postgres);

        var run = await sandbox.RunAsync(["serve", "--listen", "http://127.0.0.1:0", .. options]);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("pgrotate: ", run.Error);
        Assert.Single(run.Error.TrimEnd('\n').Split('\n'));
        Assert.Contains("vault-mount", run.Error);
    }
}

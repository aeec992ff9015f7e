using PgRotate.Cli;
using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Cli;

/// <summary>
/// --store / PGROTATE_STORE choose the kind of store: a PostgreSQL location is never taken for a file name, needs its
/// key named (there is no file to put one beside), and when it cannot be reached fails plainly, creating nothing.
/// </summary>
public sealed class StoreChoiceTests(PostgresFixture postgres)
{
    private const string PostgresStore = "Host=127.0.0.1;Port=1;Database=pgrotate;Username=rotator";

    [Fact]
    public async Task Init_on_a_postgres_store_that_cannot_be_reached_is_refused_and_creates_no_key_file()
    {
        using var sandbox = new CliSandbox(postgres);
        var keyFile = Path.Combine(sandbox.Directory, "store.key");

        var line = (await sandbox.RunAsync("init", "--store", PostgresStore, "--key-file", keyFile)).FailsWith(ExitCodes.For(ErrorCode.TargetUnreachable));

        Assert.Contains("store postgresql 127.0.0.1:1/pgrotate, schema pgrotate: cannot connect", line);
        Assert.DoesNotContain("rotator", line);
        Assert.Empty(Directory.EnumerateFileSystemEntries(sandbox.Directory));
    }

    [Theory]
    [InlineData("target", "list")]
    [InlineData("secret", "list")]
    public async Task A_postgres_store_without_its_key_is_refused_before_connecting_and_nothing_is_created(params string[] command)
    {
        using var sandbox = new CliSandbox(postgres);
        var keyFile = Path.Combine(sandbox.Directory, "store.key");

        var line = (await sandbox.RunAsync([.. command, "--store", PostgresStore, "--key-file", keyFile])).FailsWith(ExitCodes.For(ErrorCode.MasterKeyMissing));

        Assert.Contains($"the key file {keyFile} does not exist", line);
        Assert.Empty(Directory.EnumerateFileSystemEntries(sandbox.Directory));
    }

    [Fact]
    public async Task A_postgres_store_from_the_environment_is_not_taken_for_a_file_name()
    {
        using var sandbox = new CliSandbox(postgres);
        sandbox.SetEnvironment(CliContext.StoreVariable, "postgresql://rotator:secret-pw@127.0.0.1:1/pgrotate");
        sandbox.SetEnvironment(MasterKey.EnvironmentVariable, Convert.ToBase64String(new byte[32]));

        var line = (await sandbox.RunAsync("target", "list")).FailsWith(ExitCodes.For(ErrorCode.TargetUnreachable));

        Assert.Contains("store postgresql 127.0.0.1:1/pgrotate, schema pgrotate: cannot connect", line);
        Assert.DoesNotContain("secret-pw", line);
        Assert.Empty(Directory.EnumerateFileSystemEntries(sandbox.Directory));
    }

    [Fact]
    public async Task A_postgres_store_has_no_default_key_file()
    {
        using var sandbox = new CliSandbox(postgres);

        var line = (await sandbox.RunAsync("init", "--store", PostgresStore)).FailsWith(ExitCodes.For(ErrorCode.MasterKeyMissing));

        Assert.Contains("no default key file: give --key-file or PGROTATE_KEY_FILE, or the key itself in PGROTATE_MASTER_KEY", line);
        Assert.Empty(Directory.EnumerateFileSystemEntries(sandbox.Directory));
    }

    [Fact]
    public async Task A_file_store_still_gets_its_key_file_beside_it()
    {
        using var sandbox = new CliSandbox(postgres);
        var store = Path.Combine(sandbox.Directory, "other", "store.db");

        (await sandbox.RunAsync("init", "--store", store)).Ok();

        Assert.True(File.Exists(store));
        Assert.True(File.Exists(store + ".key"));
        (await sandbox.RunAsync("target", "list", "--store", store)).Ok();
    }
}

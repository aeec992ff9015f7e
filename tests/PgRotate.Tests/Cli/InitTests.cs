using PgRotate.Crypto;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Cli;

/// <summary>'pgrotate init' creates the store and its key, owner-only, and never overwrites either.</summary>
public sealed class InitTests(PostgresFixture postgres)
{
    private const int AlreadyExists = 4;
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public async Task Init_creates_the_key_file_and_the_store_readable_by_the_owner_only()
    {
        using var sandbox = new CliSandbox(postgres);

        var output = (await sandbox.RunAsync("init")).Ok();

        Assert.Contains($"created store {sandbox.StorePath}", output);
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(sandbox.KeyPath));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(sandbox.StorePath));
        using var key = await MasterKey.ReadFileAsync(sandbox.KeyPath, TestContext.Current.CancellationToken);
        Assert.Contains($"(id {key.KeyId})", output);
        Assert.DoesNotContain(key.ToBase64(), output);
        (await sandbox.RunAsync("target", "list")).Ok();
    }

    [Fact]
    public async Task Init_refuses_to_overwrite_an_existing_store()
    {
        using var sandbox = new CliSandbox(postgres);
        (await sandbox.RunAsync("init")).Ok();
        (await sandbox.RunWithInputAsync("pw\n", "target", "add", "db", "--conn", "Host=127.0.0.1;Port=1;Username=rotator", "--password-stdin", "--no-verify")).Ok();
        var store = await sandbox.StoreBytesAsync();
        var key = await File.ReadAllBytesAsync(sandbox.KeyPath, TestContext.Current.CancellationToken);

        var line = (await sandbox.RunAsync("init")).FailsWith(AlreadyExists);

        Assert.Contains("a store already exists", line);
        Assert.Equal(store, await sandbox.StoreBytesAsync());
        Assert.Equal(key, await File.ReadAllBytesAsync(sandbox.KeyPath, TestContext.Current.CancellationToken));
        Assert.Contains("\"name\": \"db\"", (await sandbox.RunAsync("target", "list", "--json")).Ok());
    }

    [Fact]
    public async Task Init_refuses_to_overwrite_an_existing_key_file_and_creates_no_store()
    {
        using var sandbox = new CliSandbox(postgres);
        using var existing = MasterKey.Generate();
        await existing.WriteNewFileAsync(sandbox.KeyPath, TestContext.Current.CancellationToken);
        var key = await File.ReadAllBytesAsync(sandbox.KeyPath, TestContext.Current.CancellationToken);

        var line = (await sandbox.RunAsync("init")).FailsWith(AlreadyExists);

        Assert.Contains("key file already exists", line);
        Assert.Equal(key, await File.ReadAllBytesAsync(sandbox.KeyPath, TestContext.Current.CancellationToken));
        Assert.False(File.Exists(sandbox.StorePath));
    }

    [Fact]
    public async Task Init_with_the_key_in_the_environment_writes_no_key_file()
    {
        using var sandbox = new CliSandbox(postgres);
        using var key = MasterKey.Generate();
        sandbox.SetEnvironment(MasterKey.EnvironmentVariable, key.ToBase64());

        var output = (await sandbox.RunAsync("init")).Ok();

        Assert.Contains($"master key: ${MasterKey.EnvironmentVariable} (id {key.KeyId})", output);
        Assert.False(File.Exists(sandbox.KeyPath));
        Assert.DoesNotContain(key.ToBase64(), output);
        (await sandbox.RunAsync("target", "list")).Ok();
    }

    [Fact]
    public async Task Init_creates_the_folder_of_a_new_store()
    {
        using var sandbox = new CliSandbox(postgres);
        var store = Path.Combine(sandbox.Directory, "new", "folder", "pgrotate.db");

        (await sandbox.RunAsync("init", "--store", store)).Ok();

        Assert.True(File.Exists(store));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(store + ".key"));
        (await sandbox.RunAsync("target", "list", "--store", store)).Ok();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_folder_init_creates_is_owner_only(bool keyInEnvironment)
    {
        using var sandbox = new CliSandbox(postgres);
        using var key = MasterKey.Generate();
        if (keyInEnvironment)
        {
            // No key file to write: the store itself creates the folders.
            sandbox.SetEnvironment(MasterKey.EnvironmentVariable, key.ToBase64());
        }

        var store = Path.Combine(sandbox.Directory, "new", "folder", "pgrotate.db");

        (await sandbox.RunAsync("init", "--store", store)).Ok();

        const UnixFileMode ownerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Assert.Equal(ownerOnlyFolder, File.GetUnixFileMode(Path.Combine(sandbox.Directory, "new")));
        Assert.Equal(ownerOnlyFolder, File.GetUnixFileMode(Path.Combine(sandbox.Directory, "new", "folder")));
    }
}

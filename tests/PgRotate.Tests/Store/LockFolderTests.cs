using System.Security.Cryptography;
using System.Text;
using PgRotate.Cli;
using PgRotate.Errors;
using PgRotate.Rotation;
using PgRotate.Tests.Support;
using PgRotate.Store.Sqlite;

namespace PgRotate.Tests.Store;

/// <summary>
/// The lock folder beside the store is created 0700 and refused when another user could have a hand in it (a
/// symbolic link, another owner, writable by group or others); lock files are never followed through a link.
/// </summary>
public sealed class LockFolderTests(PostgresFixture postgres) : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly string _folder = Directory.CreateTempSubdirectory("pgrotate-locks-").FullName;

    private string StorePath => Path.Combine(_folder, "pgrotate.db");
    private string LockFolder => StorePath + ".locks";

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task The_lock_folder_is_created_readable_by_the_owner_only()
    {
        await using (await AcquireAsync("orders/app"))
        {
        }

        Assert.Equal(OwnerOnly, File.GetUnixFileMode(LockFolder));
    }

    [Fact]
    public async Task A_lock_folder_writable_by_others_is_refused()
    {
        Directory.CreateDirectory(LockFolder, OwnerOnly);
        File.SetUnixFileMode(LockFolder, (UnixFileMode)0x1FF); // 0777, as another user would leave it

        var refused = await Assert.ThrowsAsync<PgRotateException>(() => AcquireAsync("orders/app"));

        Assert.Equal(ErrorCode.EnvironmentError, refused.Code);
        Assert.Contains($"the lock folder {LockFolder} is writable by group or others (mode 0777)", refused.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(LockFolder));
    }

    [Fact]
    public async Task A_lock_folder_that_is_a_symbolic_link_is_refused()
    {
        var elsewhere = Directory.CreateDirectory(Path.Combine(_folder, "elsewhere"), OwnerOnly).FullName;
        Directory.CreateSymbolicLink(LockFolder, elsewhere);

        var refused = await Assert.ThrowsAsync<PgRotateException>(() => AcquireAsync("orders/app"));

        Assert.Equal(ErrorCode.EnvironmentError, refused.Code);
        Assert.Contains($"the lock folder {LockFolder} is a symbolic link", refused.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(elsewhere));
    }

    [Fact]
    public async Task A_lock_folder_owned_by_another_user_is_refused()
    {
        Directory.CreateDirectory(LockFolder, OwnerOnly);
        await ChangeOwnerAsync(LockFolder, "nobody");

        var refused = await Assert.ThrowsAsync<PgRotateException>(() => AcquireAsync("orders/app"));

        Assert.Equal(ErrorCode.EnvironmentError, refused.Code);
        Assert.Contains($"the lock folder {LockFolder} is owned by uid", refused.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(LockFolder));
    }

    [Fact]
    public async Task A_lock_file_that_is_a_symbolic_link_is_refused_and_its_target_is_not_created()
    {
        Directory.CreateDirectory(LockFolder, OwnerOnly);
        var victim = Path.Combine(_folder, "victim-file");
        var lockFile = Path.Combine(LockFolder, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("orders/app"))) + ".lock");
        File.CreateSymbolicLink(lockFile, victim);

        var refused = await Assert.ThrowsAsync<PgRotateException>(() => AcquireAsync("orders/app"));

        Assert.Equal(ErrorCode.EnvironmentError, refused.Code);
        Assert.Contains($"the lock file {lockFile} is a symbolic link", refused.Message);
        Assert.False(File.Exists(victim));
    }

    [Fact]
    public async Task Rotate_with_an_unsafe_lock_folder_fails_with_one_line_and_the_environment_error_code()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group)).Ok();
        var current = await sandbox.CurrentVersionAsync("orders/app");
        var locks = sandbox.StorePath + ".locks";
        Directory.CreateDirectory(locks);
        File.SetUnixFileMode(locks, (UnixFileMode)0x1FF);

        var line = (await sandbox.RunAsync("rotate", "orders/app")).FailsWith(ExitCodes.For(ErrorCode.EnvironmentError));

        Assert.Contains($"the lock folder {locks} is writable by group or others", line);
        Assert.Equal(current.Number, (await sandbox.CurrentVersionAsync("orders/app")).Number);
    }

    private Task<IAsyncDisposable> AcquireAsync(string key) =>
        new FileRotationLock(StorePath + ".locks", TimeProvider.System).AcquireAsync(LockKey.Secret(key), null, TestContext.Current.CancellationToken);

    private static async Task ChangeOwnerAsync(string path, string user)
    {
        using var chown = System.Diagnostics.Process.Start("chown", [user, path]);
        await chown.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, chown.ExitCode);
    }
}

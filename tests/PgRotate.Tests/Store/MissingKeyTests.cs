using PgRotate.Tests.Support;

namespace PgRotate.Tests.Store;

/// <summary>A store whose key file is gone points to the key (restore it, or the environment), never to 'init'.</summary>
public sealed class MissingKeyTests(PostgresFixture postgres)
{
    private const int MasterKeyMissing = 7;

    [Fact]
    public async Task A_missing_key_file_says_to_restore_it_or_set_the_variable()
    {
        using var sandbox = new CliSandbox(postgres);
        (await sandbox.RunAsync("init")).Ok();
        File.Move(sandbox.KeyPath, sandbox.KeyPath + ".elsewhere");

        var line = (await sandbox.RunAsync("secret", "list")).FailsWith(MasterKeyMissing);

        Assert.Contains($"the key file {sandbox.KeyPath} does not exist; restore it from your backup", line);
        Assert.Contains("set PGROTATE_MASTER_KEY", line);
        Assert.DoesNotContain("with 'pgrotate init'", line);
        // The advice holds: init refuses, and the restored key works.
        (await sandbox.RunAsync("init")).FailsWith(4);
        File.Move(sandbox.KeyPath + ".elsewhere", sandbox.KeyPath);
        (await sandbox.RunAsync("secret", "list")).Ok();
    }
}

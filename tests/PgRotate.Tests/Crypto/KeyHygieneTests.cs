using System.Diagnostics;
using PgRotate.Crypto;
using PgRotate.Local;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Crypto;

/// <summary>A key file others can read is warned about; helper processes never inherit the master key.</summary>
public sealed class KeyHygieneTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_key_file_readable_by_others_gets_a_one_line_warning_and_the_command_still_runs()
    {
        using var sandbox = new CliSandbox(postgres);
        (await sandbox.RunAsync("init")).Ok();
        Assert.Equal("", (await sandbox.RunAsync("target", "list")).Error); // owner-only, as init wrote it: no warning
        File.SetUnixFileMode(sandbox.KeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var run = await sandbox.RunAsync("target", "list");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("no targets", run.Out);
        var line = Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"pgrotate: warning: the master key file {sandbox.KeyPath} is readable or writable by group or others (mode 0644); run 'chmod 600 {sandbox.KeyPath}'", line);
    }

    [Fact]
    public async Task A_helper_process_does_not_inherit_the_master_key_from_the_environment()
    {
        const string script = "echo ${PGROTATE_MASTER_KEY-unset}";
        using var key = MasterKey.Generate();
        var before = Environment.GetEnvironmentVariable(MasterKey.EnvironmentVariable);
        Environment.SetEnvironmentVariable(MasterKey.EnvironmentVariable, key.ToBase64());
        try
        {
            // Control: a child started the ordinary way does see it, so the check below can fail.
            using var plain = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", script]) { RedirectStandardOutput = true })!;
            Assert.Equal(key.ToBase64(), (await plain.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken)).Trim());

            var helper = await ExternalProcess.RunAsync("/bin/sh", ["-c", script], TestContext.Current.CancellationToken);

            Assert.Equal("unset", helper.Output.Trim());
        }
        finally
        {
            Environment.SetEnvironmentVariable(MasterKey.EnvironmentVariable, before);
        }
    }
}

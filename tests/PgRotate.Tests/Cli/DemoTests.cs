using PgRotate.Tests.Support;

namespace PgRotate.Tests.Cli;

/// <summary><c>pgrotate demo</c> through the real binary: it explains the master key and shows a grace period ending.</summary>
public sealed class DemoTests(PostgresFixture postgres)
{
    [Fact]
    public async Task The_demo_shows_the_previous_login_refused_once_its_short_grace_ends_and_explains_the_master_key()
    {
        using var sandbox = new CliSandbox(postgres);

        var output = (await CliProcess.RunAsync(sandbox, null, "demo", "--rotations", "1", "--pg-bindir", postgres.Cluster.Binaries.BinDir)).Ok();

        Assert.Contains("the master key is 32 random bytes kept apart from the store", output);
        Assert.Contains("3. a grace period ending: rotate demo/app --grace 3s", output);
        Assert.Matches(@"previous app_[ab] logged in [0-9]+ time\(s\), then was refused by PostgreSQL after [0-9.]+ s: password authentication failed", output);
        Assert.Contains("4. client: ", output);
        Assert.Contains(", 0 failed;", output);
        Assert.DoesNotContain("seed", output);
    }
}

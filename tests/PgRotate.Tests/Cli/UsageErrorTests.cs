using PgRotate.Tests.Support;

namespace PgRotate.Tests.Cli;

public sealed class UsageErrorTests(PostgresFixture postgres)
{
    [Theory]
    [InlineData("get", "orders/app", "--stage", "bogus")]
    [InlineData("secret", "add", "orders/app", "--group", "app")]
    [InlineData("rotate", "orders/app", "--no-such-option")]
    [InlineData("frobnicate")]
    [InlineData]
    public async Task A_command_line_that_does_not_parse_gets_one_line_pointing_at_help_and_exit_2(params string[] args)
    {
        using var sandbox = new CliSandbox(postgres);
        (await sandbox.RunAsync("init")).Ok();
        var store = await sandbox.StoreBytesAsync();

        var line = (await sandbox.RunAsync(args)).FailsWith(2);

        Assert.EndsWith("--help')", line);
        Assert.Equal(store, await sandbox.StoreBytesAsync());
    }

    [Fact]
    public async Task Input_is_checked_before_the_store_is_opened()
    {
        using var sandbox = new CliSandbox(postgres);

        var line = (await sandbox.RunAsync("rotate", "--bogus-looking-name")).FailsWith(2);

        Assert.StartsWith("pgrotate: secret name '--bogus-looking-name' is not allowed", line);
    }
}

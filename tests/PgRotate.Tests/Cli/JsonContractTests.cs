using System.Text.Json;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Cli;

/// <summary>
/// The CLI's --json output is the wire records: history as typed events with the login of each version,
/// <c>secret list</c> with each secret's logins and status.
/// </summary>
public sealed class JsonContractTests(PostgresFixture postgres)
{
    private const string Secret = "orders/app";

    [Fact]
    public async Task History_json_lists_typed_events_with_the_login_of_each_version_and_the_cli_user_as_actor()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group)).Ok();
        (await sandbox.RunAsync("rotate", Secret)).Ok();

        var events = JsonDocument.Parse((await sandbox.RunAsync("history", Secret, "--json")).Ok()).RootElement.EnumerateArray().ToList();

        Assert.All(events, e => Assert.Equal(["at", "event", "version", "login", "actor", "detail"], e.EnumerateObject().Select(p => p.Name)));
        Assert.Equal(
            [("created", group + "_a"), ("activated", group + "_a"), ("pending", group + "_b"), ("rotated", group + "_b")],
            events.Select(e => (e.GetProperty("event").GetString(), e.GetProperty("login").GetString())));
        Assert.All(events, e => Assert.Equal("cli:" + Environment.UserName, e.GetProperty("actor").GetString()));
    }

    [Fact]
    public async Task Secret_list_json_says_when_a_secret_is_due()
    {
        var clock = CliSandbox.FakeTime();
        using var sandbox = await new CliSandbox(postgres, clock).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group, "--every", "1d")).Ok();

        var before = await ListAsync(sandbox);
        clock.Advance(TimeSpan.FromDays(2));
        var after = await ListAsync(sandbox);

        Assert.Equal("ok", before.GetProperty("status").GetString());
        Assert.Equal([group + "_a", group + "_b"], before.GetProperty("logins").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal("due", after.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Secret_list_json_says_when_a_rotation_was_interrupted()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"))).Ok();

        Assert.Equal(CliProcess.KilledExitCode, (await CliProcess.RunAsync(sandbox, "create", "rotate", Secret)).ExitCode);

        Assert.Equal("interrupted", (await ListAsync(sandbox)).GetProperty("status").GetString());
    }

    private static async Task<JsonElement> ListAsync(CliSandbox sandbox) =>
        Assert.Single(JsonDocument.Parse((await sandbox.RunAsync("secret", "list", "--json")).Ok()).RootElement.EnumerateArray().ToList());
}

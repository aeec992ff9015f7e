using System.Text.Json;
using PgRotate.Cli;
using PgRotate.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Audit;

/// <summary>
/// What an administrator changes is in the audit log (<c>audit tail --json</c>) with its actor and a detail that never
/// holds a secret: secret add, update, remove and adopt-finish; target add, update and remove.
/// </summary>
public sealed class AdminActionAuditTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Secret_add_update_and_remove_are_audited_without_the_check_query_or_a_password()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var name = "app/" + Unique.Name("s");
        var group = Unique.Name("g");
        const string check = "SELECT 'a-very-private-check' WHERE true";
        (await sandbox.RunAsync("secret", "add", name, "--target", sandbox.TargetName, "--group", group, "--every", "1d", "--check-sql", check)).Ok();
        var password = JsonDocument.Parse((await sandbox.RunAsync("get", name, "--format", "json")).Ok()).RootElement.GetProperty("password").GetString()!;
        (await sandbox.RunAsync("secret", "update", name, "--every", "7d", "--check-sql", check + " AND true")).Ok();
        (await sandbox.RunAsync("secret", "remove", name, "--drop-roles")).Ok();

        var (entries, tail) = await TailAsync(sandbox);

        var added = Assert.Single(entries, e => Action(e) == "secret.added");
        var updated = Assert.Single(entries, e => Action(e) == "secret.updated");
        var removed = Assert.Single(entries, e => Action(e) == "secret.removed");
        Assert.All(new[] { added, updated, removed }, e => Assert.Equal((name, CliContext.Actor), (e.GetProperty("secret").GetString(), e.GetProperty("actor").GetString())));
        Assert.Contains($"target {sandbox.TargetName}; strategy alternating; group {group}", Detail(added), StringComparison.Ordinal);
        Assert.Contains("with a check query", Detail(added), StringComparison.Ordinal);
        Assert.Contains("schedule every 1d -> every 7d", Detail(updated), StringComparison.Ordinal);
        Assert.Contains("check query changed", Detail(updated), StringComparison.Ordinal);
        Assert.Contains($"logins dropped: {group}_a, {group}_b", Detail(removed), StringComparison.Ordinal);
        Assert.DoesNotContain("a-very-private-check", tail, StringComparison.Ordinal);
        Assert.DoesNotContain(password, tail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secret_adopt_finish_is_audited_when_it_closes_the_old_login()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var legacy = Unique.Name("legacy");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(legacy)} LOGIN");
        var name = "app/" + Unique.Name("s");
        (await sandbox.RunAsync("secret", "add", name, "--target", sandbox.TargetName, "--group", legacy, "--adopt")).Ok();

        (await sandbox.RunAsync("secret", "adopt-finish", name, "--quiet-period", "0s")).Ok();
        (await sandbox.RunAsync("secret", "adopt-finish", name, "--quiet-period", "0s")).Ok();
        var (entries, _) = await TailAsync(sandbox);

        var finished = Assert.Single(entries, e => Action(e) == "secret.adoption_finished");
        Assert.Equal(name, finished.GetProperty("secret").GetString());
        Assert.Contains($"{legacy} can no longer log in", Detail(finished), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Target_add_update_and_remove_are_audited_without_the_admin_password()
    {
        using var sandbox = new CliSandbox(postgres);
        (await sandbox.RunAsync("init")).Ok();
        const string first = "first-admin-password-7f3a";
        const string second = "second-admin-password-9c1e";
        (await sandbox.RunWithInputAsync(first + "\n", "target", "add", "elsewhere", "--conn", "Host=127.0.0.1;Port=1;Username=rotator", "--password-stdin", "--no-verify")).Ok();
        (await sandbox.RunWithInputAsync(second + "\n", "target", "update", "elsewhere", "--password-stdin", "--no-verify")).Ok();
        (await sandbox.RunAsync("target", "remove", "elsewhere")).Ok();

        var (entries, tail) = await TailAsync(sandbox);

        var added = Assert.Single(entries, e => Action(e) == "target.added");
        var updated = Assert.Single(entries, e => Action(e) == "target.updated");
        var removed = Assert.Single(entries, e => Action(e) == "target.removed");
        Assert.All(new[] { added, updated, removed }, e => Assert.Equal(CliContext.Actor, e.GetProperty("actor").GetString()));
        Assert.Contains("target elsewhere: 127.0.0.1:1", Detail(added), StringComparison.Ordinal);
        Assert.Contains("admin password replaced", Detail(updated), StringComparison.Ordinal);
        Assert.Equal("target elsewhere", Detail(removed));
        Assert.DoesNotContain(first, tail, StringComparison.Ordinal);
        Assert.DoesNotContain(second, tail, StringComparison.Ordinal);
    }

    private static async Task<(IReadOnlyList<JsonElement> Entries, string Text)> TailAsync(CliSandbox sandbox)
    {
        var tail = (await sandbox.RunAsync("audit", "tail", "-n", "100", "--json")).Ok();
        return (JsonDocument.Parse(tail).RootElement.EnumerateArray().ToList(), tail);
    }

    private static string? Action(JsonElement entry) => entry.GetProperty("action").GetString();

    private static string Detail(JsonElement entry) => entry.GetProperty("detail").GetString()!;
}

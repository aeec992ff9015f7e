using System.Text.Json;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Server;

/// <summary><c>pgrotate token create|list|revoke</c> and the first admin token printed by <c>init</c>.</summary>
public sealed class TokenCommandTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Create_prints_the_token_once_and_list_never_shows_it()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();

        var created = JsonDocument.Parse((await sandbox.RunAsync("token", "create", "--name", "orders-svc", "--policy", "read:orders/*", "--policy", "rotate:orders/app", "--ttl", "30d", "--json")).Ok()).RootElement;
        var listed = (await sandbox.RunAsync("token", "list", "--json")).Ok();

        var token = created.GetProperty("token").GetString()!;
        Assert.StartsWith("pgr_", token);
        Assert.Equal(["read:orders/*", "rotate:orders/app"], created.GetProperty("policies").EnumerateArray().Select(p => p.GetString()));
        Assert.DoesNotContain(token, listed);
        var row = JsonDocument.Parse(listed).RootElement.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "orders-svc");
        Assert.Equal("active", row.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.String, row.GetProperty("expiresAt").ValueKind);
    }

    [Fact]
    public async Task Revoke_marks_the_token_revoked_and_an_unknown_name_is_exit_3()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        (await sandbox.RunAsync("token", "create", "--name", "ci", "--policy", "read:*")).Ok();

        (await sandbox.RunAsync("token", "revoke", "ci")).Ok();
        var listed = JsonDocument.Parse((await sandbox.RunAsync("token", "list", "--json")).Ok()).RootElement;

        Assert.Equal("revoked", listed.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "ci").GetProperty("status").GetString());
        (await sandbox.RunAsync("token", "revoke", "nobody")).FailsWith(3);
    }

    [Theory]
    [InlineData("--policy", "write:orders/*")]
    [InlineData("--policy", "read")]
    [InlineData("--policy", "read:Orders/*")]
    [InlineData("--ttl", "forever")]
    [InlineData("--name", "Bad Name")]
    public async Task Bad_input_is_exit_2_and_creates_no_token(string option, string value)
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        string[] args = option == "--policy" ? ["token", "create", option, value] : ["token", "create", "--policy", "read:*", option, value];

        (await sandbox.RunAsync(args)).FailsWith(2);
        var listed = JsonDocument.Parse((await sandbox.RunAsync("token", "list", "--json")).Ok()).RootElement;

        Assert.Equal(["admin"], listed.EnumerateArray().Select(t => t.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task A_token_name_in_use_is_exit_4()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        (await sandbox.RunAsync("token", "create", "--name", "ci", "--policy", "read:*")).Ok();

        (await sandbox.RunAsync("token", "create", "--name", "ci", "--policy", "admin:*")).FailsWith(4);
    }

    [Fact]
    public async Task Init_prints_a_first_admin_token_that_the_server_accepts()
    {
        using var sandbox = new CliSandbox(postgres);

        var init = JsonDocument.Parse((await sandbox.RunAsync("init", "--json")).Ok()).RootElement;

        var admin = init.GetProperty("adminToken");
        Assert.Equal("admin", admin.GetProperty("name").GetString());
        Assert.Equal(["admin:*"], admin.GetProperty("policies").EnumerateArray().Select(p => p.GetString()));
        await using var server = await RunningServer.OpenAsync(sandbox);
        using var audit = await server.GetAsync("/v1/audit", admin.GetProperty("token").GetString());
        Assert.Equal(System.Net.HttpStatusCode.OK, audit.StatusCode);
    }

    [Fact]
    public async Task Init_in_text_prints_the_admin_token_on_a_line_of_its_own()
    {
        using var sandbox = new CliSandbox(postgres);

        var lines = (await sandbox.RunAsync("init")).Ok().Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Contains(lines, l => l.StartsWith("token admin: admin:*", StringComparison.Ordinal));
        Assert.Matches("^pgr_[A-Za-z0-9_-]{43}$", lines[^1]);
    }

    [Fact]
    public async Task A_token_row_edited_in_the_store_file_is_refused_as_store_damage()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        (await sandbox.RunAsync("token", "create", "--name", "narrow", "--policy", "read:orders/app")).Ok();
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={sandbox.StorePath}"))
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var widen = connection.CreateCommand();
            widen.CommandText = "UPDATE tokens SET policies = 'admin:*' WHERE name = 'narrow'";
            await widen.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var line = (await sandbox.RunAsync("token", "list")).FailsWith(6);

        Assert.Contains("token narrow", line);
        Assert.Contains("modified outside pgrotate", line);
    }
}

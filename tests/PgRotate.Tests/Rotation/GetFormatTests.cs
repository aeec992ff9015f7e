using System.Text.Json;
using Npgsql;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary>
/// <c>pgrotate get</c> in every format reads back to the same credential, which logs in; <c>history</c> and
/// <c>rotate --all-due</c> on a fake clock.
/// </summary>
public sealed class GetFormatTests(PostgresFixture postgres)
{
    private const string Secret = "orders/app";

    [Fact]
    public async Task Every_get_format_reads_back_to_the_same_credential_and_logs_in()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group)).Ok();
        var cluster = postgres.Cluster;

        var json = JsonDocument.Parse((await sandbox.RunAsync("get", Secret, "--format", "json")).Ok()).RootElement;
        Assert.Equal(
            ["name", "username", "password", "host", "port", "database", "version", "stage", "rotatedAt", "validUntil", "sslMode", "sslRootCert", "channelBinding"],
            json.EnumerateObject().Select(p => p.Name));
        Assert.Equal((Secret, group + "_a", cluster.Host, cluster.Port, "postgres", 1, "current"), (
            json.GetProperty("name").GetString(), json.GetProperty("username").GetString(), json.GetProperty("host").GetString(),
            json.GetProperty("port").GetInt32(), json.GetProperty("database").GetString(), json.GetProperty("version").GetInt32(),
            json.GetProperty("stage").GetString()));
        Assert.True(json.GetProperty("rotatedAt").GetDateTimeOffset() <= DateTimeOffset.UtcNow);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("validUntil").ValueKind);
        var login = new Parsed(cluster.Host, cluster.Port, "postgres", group + "_a", json.GetProperty("password").GetString()!);

        var env = Fields((await sandbox.RunAsync("get", Secret, "--format", "env")).Ok(), '=', "PG");
        Assert.Equal(login, new Parsed(Unquote(env["PGHOST"]), int.Parse(env["PGPORT"]), Unquote(env["PGDATABASE"]), Unquote(env["PGUSER"]), Unquote(env["PGPASSWORD"])));

        var pgpass = (await sandbox.RunAsync("get", Secret, "--format", "pgpass")).Ok();
        var fields = Assert.Single(pgpass.Split('\n', StringSplitOptions.RemoveEmptyEntries)).Split(':');
        Assert.Equal(5, fields.Length);
        Assert.Equal(login, new Parsed(fields[0], int.Parse(fields[1]), fields[2], fields[3], fields[4]));

        var conn = new NpgsqlConnectionStringBuilder((await sandbox.RunAsync("get", Secret, "--format", "conn")).Ok().Trim());
        Assert.Equal(login, new Parsed(conn.Host!, conn.Port, conn.Database!, conn.Username!, conn.Password!));
        await using (var connection = new NpgsqlConnection(conn.ConnectionString))
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            Assert.Equal($"{group}_a/{group}", await connection.ScalarAsync<string>("SELECT session_user || '/' || current_user"));
        }

        var service = (await sandbox.RunAsync("get", Secret, "--format", "service")).Ok();
        Assert.StartsWith("[orders_app]\n", service);
        var section = Fields(service, '=', "");
        Assert.Equal(login, new Parsed(section["host"], int.Parse(section["port"]), section["dbname"], section["user"], section["password"]));
    }

    [Fact]
    public async Task Get_reads_the_previous_stage_after_a_rotation_and_refuses_a_missing_stage_with_one_line()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group)).Ok();
        var first = await ClientLogin.GetAsync(sandbox, Secret);
        Assert.Equal($"pgrotate: secret {Secret} has no previous version", (await sandbox.RunAsync("get", Secret, "--stage", "previous")).FailsWith(3));

        await RotateRun.RunAsync(sandbox, Secret);

        var previous = JsonDocument.Parse((await sandbox.RunAsync("get", Secret, "--stage", "previous")).Ok()).RootElement;
        Assert.Equal(("previous", first.Username, first.Password, 1), (previous.GetProperty("stage").GetString(),
            previous.GetProperty("username").GetString(), previous.GetProperty("password").GetString(), previous.GetProperty("version").GetInt32()));
        Assert.Equal($"{first.Username}/{group}", await ClientLogin.WhoAmIAsync(postgres, first));
        var missing = await sandbox.RunAsync("get", Secret, "--stage", "pending");
        Assert.Equal($"pgrotate: secret {Secret} has no pending version", missing.FailsWith(3));
        Assert.Equal("", missing.Out);
    }

    [Fact]
    public async Task History_lists_the_creation_and_each_rotation()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group)).Ok();

        await RotateRun.RunAsync(sandbox, Secret);
        await RotateRun.RunAsync(sandbox, Secret);

        var events = JsonDocument.Parse((await sandbox.RunAsync("history", Secret, "--json")).Ok()).RootElement.EnumerateArray()
            .Select(e => (e.GetProperty("event").GetString(), e.GetProperty("version").GetInt32())).ToList();
        Assert.Equal([("created", 1), ("activated", 1), ("pending", 2), ("rotated", 2), ("pending", 3), ("rotated", 3)], events);
        var text = (await sandbox.RunAsync("history", Secret)).Ok().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1 + events.Count, text.Length);
        Assert.Matches(@"\bcreated\s+1\b", text[1]);
        Assert.Matches($@"\brotated\s+3\s+login {group}_a; previous {group}_b valid until [0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}} ", text[^1]);
    }

    [Fact]
    public async Task Rotate_all_due_rotates_only_the_secrets_whose_time_has_come()
    {
        var clock = CliSandbox.FakeTime();
        using var sandbox = await new CliSandbox(postgres, clock).InitializedWithTargetAsync();
        var hourly = new[] { "hourly/one", "hourly/two" };
        foreach (var secret in hourly)
        {
            (await sandbox.RunAsync("secret", "add", secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"), "--every", "1h")).Ok();
        }

        (await sandbox.RunAsync("secret", "add", "daily/app", "--target", sandbox.TargetName, "--group", Unique.Name("app"), "--every", "1d")).Ok();
        (await sandbox.RunAsync("secret", "add", "manual/app", "--target", sandbox.TargetName, "--group", Unique.Name("app"))).Ok();
        Assert.Equal("no secret is due for rotation", (await sandbox.RunAsync("rotate", "--all-due")).Ok().Trim());

        clock.Advance(TimeSpan.FromMinutes(61));
        var first = RotateRun.Parse((await sandbox.RunAsync("rotate", "--all-due", "--json")).Ok());

        Assert.Equal(hourly, first.Select(r => r.Name));
        Assert.All(first, r => Assert.Equal(2, r.Version));
        foreach (var (secret, version) in new[] { ("hourly/one", 2), ("hourly/two", 2), ("daily/app", 1), ("manual/app", 1) })
        {
            Assert.Equal(version, (await SecretState.ReadAsync(sandbox, secret)).Current.Number);
        }

        // Each rotated secret's next time is an hour after its rotation, not after its first schedule.
        Assert.Empty(RotateRun.Parse((await sandbox.RunAsync("rotate", "--all-due", "--json")).Ok()));
        clock.Advance(TimeSpan.FromMinutes(61));
        Assert.Equal(hourly, RotateRun.Parse((await sandbox.RunAsync("rotate", "--all-due", "--json")).Ok()).Select(r => r.Name));
        clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(["daily/app", .. hourly], RotateRun.Parse((await sandbox.RunAsync("rotate", "--all-due", "--json")).Ok()).Select(r => r.Name));
        Assert.Equal(1, (await SecretState.ReadAsync(sandbox, "manual/app")).Current.Number);
    }

    private sealed record Parsed(string Host, int Port, string Database, string Username, string Password);

    /// <summary>KEY=VALUE lines (those starting with <paramref name="prefix"/>) as a dictionary.</summary>
    private static Dictionary<string, string> Fields(string text, char separator, string prefix) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.StartsWith(prefix, StringComparison.Ordinal) && l.Contains(separator, StringComparison.Ordinal))
            .ToDictionary(l => l[..l.IndexOf(separator, StringComparison.Ordinal)], l => l[(l.IndexOf(separator, StringComparison.Ordinal) + 1)..], StringComparer.Ordinal);

    /// <summary>A single-quoted shell word back to its value.</summary>
    private static string Unquote(string word)
    {
        Assert.True(word.Length >= 2 && word[0] == '\'' && word[^1] == '\'', $"not a single-quoted shell word: {word}");
        return word[1..^1].Replace("'\\''", "'", StringComparison.Ordinal);
    }
}

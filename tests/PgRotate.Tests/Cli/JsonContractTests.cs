using System.Text.Json;
using PgRotate.Contracts;
using PgRotate.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Cli;

/// <summary>
/// The CLI's --json output is the wire records: history as typed events with the login of each version,
/// <c>secret list</c> with each secret's logins and status, and every other command's output read back strictly into
/// its record in <see cref="PgRotate.Contracts"/> (<see cref="WireRecords"/>), with the field names scripts use.
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

    [Fact]
    public async Task Init_json_is_an_init_result()
    {
        using var sandbox = new CliSandbox(postgres);

        var result = WireRecords.Parse<InitResult>((await sandbox.RunAsync("init", "--json")).Ok(), "store", "key", "keyId", "adminToken");

        Assert.Equal((sandbox.StorePath, sandbox.KeyPath), (result.Store, result.Key));
        Assert.NotEmpty(result.KeyId);
        Assert.StartsWith("pgr_", result.AdminToken.Token, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Target_add_json_is_a_target_add_result()
    {
        using var sandbox = new CliSandbox(postgres);
        (await sandbox.RunAsync("init")).Ok();
        var cluster = postgres.Cluster;

        var output = (await sandbox.RunWithInputAsync(cluster.SuperuserPassword.Reveal() + "\n", "target", "add", "db", "--json",
            "--conn", $"Host={cluster.Host};Port={cluster.Port};Database=postgres;Username=postgres", "--password-stdin")).Ok();

        var result = WireRecords.Parse<TargetAddResult>(output, "name", "address", "username", "serverVersion");
        Assert.Equal(("db", $"{cluster.Host}:{cluster.Port}/postgres", "postgres"), (result.Name, result.Address, result.Username));
        Assert.StartsWith(postgres.MajorVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), result.ServerVersion);
    }

    [Fact]
    public async Task Target_check_json_is_a_target_check_report()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");

        var output = (await sandbox.RunAsync("target", "check", sandbox.TargetName, "--group", group, "--json")).Ok();

        var report = WireRecords.Parse<TargetCheckReport>(output,
            "target", "address", "serverVersion", "majorVersion", "tls", "authMethod", "acceptsWrongPassword", "warnings", "user",
            "superuser", "createRole", "readAllStats", "sufficient", "roles", "missingGrants", "notes", "hardening", "recommended");
        Assert.Equal(["enabled", "protocol", "cipher", "sslMode", "certificateIssuerVerified", "certificateNameVerified"], WireRecords.FieldsOf(output, "tls"));
        Assert.Equal(["name", "exists", "hasAdminOption", "canConnect"], WireRecords.FieldsOf(output, "roles"));
        Assert.Equal((sandbox.TargetName, postgres.MajorVersion, "postgres", true, true), (report.Target, report.MajorVersion, report.User, report.Superuser, report.Sufficient));
        Assert.Contains(report.Roles, r => r.Name == group && !r.Exists);
    }

    [Fact]
    public async Task Target_update_json_is_a_target_update_result()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();

        var output = (await sandbox.RunWithInputAsync(postgres.Cluster.SuperuserPassword.Reveal() + "\n", "target", "update", sandbox.TargetName, "--password-stdin", "--json")).Ok();

        var result = WireRecords.Parse<TargetUpdateResult>(output, "name", "address", "username", "changed", "serverVersion");
        Assert.Equal((sandbox.TargetName, "postgres"), (result.Name, result.Username));
        Assert.Equal(["admin password"], result.Changed);
        Assert.NotNull(result.ServerVersion);
    }

    [Fact]
    public async Task Target_remove_json_is_a_target_remove_result()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"))).Ok();

        var output = (await sandbox.RunAsync("target", "remove", sandbox.TargetName, "--force", "--json")).Ok();

        var result = WireRecords.Parse<TargetRemoveResult>(output, "name", "removedSecrets");
        Assert.Equal(sandbox.TargetName, result.Name);
        Assert.Equal([Secret], result.RemovedSecrets);
    }

    [Fact]
    public async Task Target_rotate_admin_json_is_an_admin_rotation_report()
    {
        // Not the cluster's superuser, whose password every other test uses: a rotator of its own.
        var rotator = Unique.Name("rotator");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(rotator)} CREATEROLE");
        var password = await Logins.GivePasswordAsync(postgres, rotator);
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync(user: rotator, password: password.Reveal());

        var output = (await sandbox.RunAsync("target", "rotate-admin", sandbox.TargetName, "--json")).Ok();

        var result = WireRecords.Parse<AdminRotationReport>(output, "target", "username", "rotated", "targets");
        Assert.Equal((sandbox.TargetName, rotator, true), (result.Target, result.Username, result.Rotated));
        Assert.Equal([sandbox.TargetName], result.Targets);
    }

    [Fact]
    public async Task Secret_add_json_is_a_secret_add_result()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");

        var output = (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group, "--json")).Ok();

        var result = WireRecords.Parse<SecretAddResult>(output,
            "name", "target", "strategy", "group", "logins", "dryRun", "changed", "currentLogin", "statements", "adopts", "requiresAdopt");
        Assert.Equal((Secret, RotationStrategy.Alternating, group, false, true, group + "_a"), (result.Name, result.Strategy, result.Group, result.DryRun, result.Changed, result.CurrentLogin));
        Assert.Equal([group + "_a", group + "_b"], result.Logins);
        Assert.NotEmpty(result.Statements);
        Assert.Contains("\"strategy\": \"alternating\"", output);
    }

    [Fact]
    public async Task Secret_add_dry_run_json_lists_the_roles_it_would_adopt_as_records()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var existing = Unique.Name("legacy");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(existing)}");
        await Logins.GivePasswordAsync(postgres, existing);

        var output = (await sandbox.RunAsync("secret", "add", "legacy/app", "--strategy", "single", "--target", sandbox.TargetName, "--group", existing, "--dry-run", "--json")).Ok();

        var result = WireRecords.Parse<SecretAddResult>(output,
            "name", "target", "strategy", "group", "logins", "dryRun", "changed", "currentLogin", "statements", "adopts", "requiresAdopt");
        Assert.Equal(["role", "change"], WireRecords.FieldsOf(output, "adopts"));
        Assert.Equal((RotationStrategy.Single, true, true), (result.Strategy, result.DryRun, result.RequiresAdopt));
        Assert.Equal(existing, Assert.Single(result.Adopts).Role);
    }

    [Fact]
    public async Task Secret_adopt_finish_json_is_an_adoption_finish_result()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var legacy = Unique.Name("legacy");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(legacy)}");
        await Logins.GivePasswordAsync(postgres, legacy);
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", legacy, "--adopt")).Ok();

        var first = (await sandbox.RunAsync("secret", "adopt-finish", Secret, "--quiet-period", "0s", "--json")).Ok();
        var again = (await sandbox.RunAsync("secret", "adopt-finish", Secret, "--quiet-period", "0s", "--json")).Ok();

        string[] fields = ["name", "group", "adoption", "alreadyFinished"];
        Assert.Equal(new AdoptionFinishResult(Secret, legacy, AdoptionState.Adopted, false), WireRecords.Parse<AdoptionFinishResult>(first, fields));
        Assert.True(WireRecords.Parse<AdoptionFinishResult>(again, fields).AlreadyFinished);
        Assert.Contains("\"adoption\": \"adopted\"", first);
    }

    [Fact]
    public async Task Secret_update_json_is_a_secret_update_result()
    {
        var clock = CliSandbox.FakeTime();
        using var sandbox = await new CliSandbox(postgres, clock).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"))).Ok();

        var output = (await sandbox.RunAsync("secret", "update", Secret, "--every", "7d", "--grace", "2h", "--json")).Ok();

        var result = WireRecords.Parse<SecretUpdateResult>(output, "name", "changed", "changes", "schedule", "grace", "checkSql", "nextRotationAt", "timeZone", "window", "jitter");
        Assert.Equal((Secret, true, "every 7d", "2h", false), (result.Name, result.Changed, result.Schedule, result.Grace, result.CheckSql));
        Assert.Equal(clock.GetUtcNow().AddDays(7), result.NextRotationAt);
        Assert.Equal(2, result.Changes.Count);
    }

    [Fact]
    public async Task Secret_remove_json_is_a_secret_remove_result()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group)).Ok();

        var output = (await sandbox.RunAsync("secret", "remove", Secret, "--drop-roles", "--dry-run", "--json")).Ok();

        var result = WireRecords.Parse<SecretRemoveResult>(output, "name", "target", "dryRun", "droppedLogins", "terminatedSessions", "statements");
        Assert.Equal((Secret, sandbox.TargetName, true), (result.Name, result.Target, result.DryRun));
        Assert.Contains(result.Statements, s => s.Contains("DROP ROLE", StringComparison.Ordinal));
    }
}

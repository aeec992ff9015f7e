using System.Net;
using System.Net.Sockets;
using PgRotate.Crypto;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Store;

/// <summary>
/// The store's target and secret rows are bound to the master key: a row edited with plain SQLite (no key) is refused
/// with exit 6, naming the row, before any connection is made; a damaged ciphertext is reported as damage, and a
/// damaged old version does not stop the commands that do not need it.
/// </summary>
public sealed class StoreAuthenticationTests(PostgresFixture postgres) : IDisposable
{
    private const int StoreCorrupt = 6;
    private const string Secret = "orders/app";

    // Stands in for a server the person editing the store controls: any connection attempt shows up as pending.
    private readonly TcpListener _decoy = StartDecoy();

    public void Dispose() => _decoy.Dispose();

    [Fact]
    public async Task A_target_connection_string_edited_without_the_key_is_refused_before_connecting()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        await AddSecretAsync(sandbox);
        await sandbox.ExecuteAsync("UPDATE targets SET connection_string = $c", ("$c", $"Host=127.0.0.1;Port={DecoyPort};Database=postgres;Username=postgres"));

        foreach (var command in TargetCommands(sandbox))
        {
            var line = (await sandbox.RunAsync(command)).FailsWith(StoreCorrupt);
            Assert.Contains($"target {sandbox.TargetName} in store {sandbox.StorePath} was modified outside pgrotate", line);
        }

        Assert.False(_decoy.Pending(), "a command connected to the edited connection string");
    }

    [Theory]
    [InlineData("username", "intruder")]
    [InlineData("mac", null)]
    public async Task A_target_row_edited_without_the_key_is_refused(string column, string? value)
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        await AddSecretAsync(sandbox);
        await sandbox.ExecuteAsync($"UPDATE targets SET {column} = $v", ("$v", value));

        foreach (var command in TargetCommands(sandbox))
        {
            var line = (await sandbox.RunAsync(command)).FailsWith(StoreCorrupt);
            Assert.Contains($"target {sandbox.TargetName} in store", line);
            Assert.Contains("modified outside pgrotate", line);
        }
    }

    [Theory]
    [InlineData("group_role")]
    [InlineData("login_a")]
    [InlineData("login_b")]
    public async Task A_secret_pointed_at_another_role_without_the_key_is_refused_and_the_role_is_untouched(string column)
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        await AddSecretAsync(sandbox);
        var victim = Unique.Name("victim");
        await postgres.ExecuteAsync($"CREATE ROLE \"{victim}\"");
        await Logins.GivePasswordAsync(postgres, victim);
        var before = await VictimStateAsync(victim);
        await sandbox.ExecuteAsync($"UPDATE secrets SET {column} = $v", ("$v", victim));

        await AssertSecretRefusedAsync(sandbox);

        Assert.Equal(before, await VictimStateAsync(victim));
    }

    [Theory]
    [InlineData("strategy", "single")]
    [InlineData("mac", null)]
    public async Task A_secret_row_edited_without_the_key_is_refused(string column, string? value)
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        await AddSecretAsync(sandbox);
        await sandbox.ExecuteAsync($"UPDATE secrets SET {column} = $v", ("$v", value));

        await AssertSecretRefusedAsync(sandbox);
    }

    [Fact]
    public async Task A_secret_moved_to_another_target_without_the_key_is_refused_before_connecting()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        await AddSecretAsync(sandbox);
        // A genuine second target (its own row is authenticated), at an address the editor controls.
        (await sandbox.RunWithInputAsync("pw\n", "target", "add", "elsewhere", "--conn", $"Host=127.0.0.1;Port={DecoyPort};Username=postgres", "--password-stdin", "--no-verify")).Ok();
        await sandbox.ExecuteAsync("UPDATE secrets SET target = 'elsewhere'");

        await AssertSecretRefusedAsync(sandbox);

        Assert.False(_decoy.Pending(), "a command connected to the other target");
    }

    [Fact]
    public async Task Renamed_rows_are_refused_naming_the_row()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        await AddSecretAsync(sandbox);
        await sandbox.ExecuteAsync("UPDATE secrets SET name = 'other/app'");
        await sandbox.ExecuteAsync("UPDATE targets SET name = 'other-db'");

        Assert.Contains("secret other/app in store", (await sandbox.RunAsync("secret", "list")).FailsWith(StoreCorrupt));
        Assert.Contains("target other-db in store", (await sandbox.RunAsync("target", "list")).FailsWith(StoreCorrupt));
    }

    [Fact]
    public async Task A_damaged_current_password_is_reported_as_store_damage_naming_the_version()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = await AddSecretAsync(sandbox);
        await sandbox.DamageAsync("versions", "password", "version = 1");

        var line = (await sandbox.RunAsync("get", Secret)).FailsWith(StoreCorrupt);

        Assert.Contains($"version 1 (login {group}_a) of secret {Secret} in store {sandbox.StorePath} is damaged", line);
        Assert.DoesNotContain("master key", line);
        Assert.Contains($"version 1 (login {group}_a) of secret {Secret}", (await sandbox.RunAsync("rotate", Secret)).FailsWith(StoreCorrupt));
    }

    [Fact]
    public async Task A_damaged_admin_password_is_reported_as_store_damage_naming_the_target()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        await AddSecretAsync(sandbox);
        await sandbox.DamageAsync("targets", "password", "1 = 1");

        var line = (await sandbox.RunAsync("target", "check", sandbox.TargetName)).FailsWith(StoreCorrupt);

        Assert.Contains($"the admin password of target {sandbox.TargetName} in store {sandbox.StorePath} is damaged", line);
    }

    [Theory]
    [InlineData("previous")]
    [InlineData("retired")]
    [InlineData("failed")]
    public async Task A_damaged_old_version_does_not_stop_show_get_or_a_rerun_of_secret_add(string stage)
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = await AddSecretAsync(sandbox);
        (await sandbox.RunAsync("rotate", Secret)).Ok();
        await sandbox.ExecuteAsync("UPDATE versions SET stage = $s WHERE version = 1", ("$s", stage));
        await sandbox.DamageAsync("versions", "password", "version = 1");

        var show = (await sandbox.RunAsync("secret", "show", Secret)).Ok();
        var rerun = (await sandbox.RunAsync(AddArguments(sandbox, group))).Ok();
        var current = (await sandbox.RunAsync("get", Secret, "--format", "conn")).Ok();

        Assert.Contains(stage, show);
        Assert.Contains("nothing changed", rerun);
        Assert.Contains($"Username={group}_b", current);
    }

    [Fact]
    public async Task A_store_from_before_row_authentication_is_authenticated_on_first_open_and_then_enforced()
    {
        using var sandbox = new CliSandbox(postgres);
        (await sandbox.RunAsync("init")).Ok();
        (await sandbox.RunWithInputAsync("pw\n", "target", "add", "db", "--conn", "Host=127.0.0.1;Port=1;Username=rotator", "--password-stdin", "--no-verify")).Ok();
        await MakeLegacyAsync(sandbox);

        (await sandbox.RunAsync("target", "list")).Ok();
        Assert.Equal(1L, await sandbox.ScalarAsync<long>("SELECT count(*) FROM targets WHERE length(mac) = 32"));

        // Once authenticated, a missing MAC is refused, never filled in again.
        await sandbox.ExecuteAsync("UPDATE targets SET mac = NULL, connection_string = 'Host=127.0.0.1;Port=2;Username=rotator'");
        Assert.Contains("target db in store", (await sandbox.RunAsync("target", "list")).FailsWith(StoreCorrupt));
    }

    [Fact]
    public async Task While_missing_MACs_are_computed_a_present_wrong_one_is_refused()
    {
        using var sandbox = new CliSandbox(postgres);
        (await sandbox.RunAsync("init")).Ok();
        (await sandbox.RunWithInputAsync("pw\n", "target", "add", "db", "--conn", "Host=127.0.0.1;Port=1;Username=rotator", "--password-stdin", "--no-verify")).Ok();
        await SealLegacyKeyCheckAsync(sandbox);
        await sandbox.ExecuteAsync("UPDATE targets SET mac = randomblob(32)");

        Assert.Contains("target db in store", (await sandbox.RunAsync("target", "list")).FailsWith(StoreCorrupt));
    }

    private int DecoyPort => ((IPEndPoint)_decoy.LocalEndpoint).Port;

    private static TcpListener StartDecoy()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return listener;
    }

    private static async Task<string> AddSecretAsync(CliSandbox sandbox)
    {
        var group = Unique.Name("app");
        (await sandbox.RunAsync(AddArguments(sandbox, group))).Ok();
        return group;
    }

    private static string[] AddArguments(CliSandbox sandbox, string group) => ["secret", "add", Secret, "--target", sandbox.TargetName, "--group", group];

    private static IEnumerable<string[]> TargetCommands(CliSandbox sandbox) =>
    [
        ["get", Secret], ["rotate", Secret], ["target", "check", sandbox.TargetName], ["check", Secret], ["target", "list"],
    ];

    private static async Task AssertSecretRefusedAsync(CliSandbox sandbox)
    {
        string[][] commands = [["get", Secret], ["rotate", Secret], ["secret", "show", Secret], ["check", Secret], ["history", Secret], ["secret", "list"], ["target", "check", sandbox.TargetName]];
        foreach (var command in commands)
        {
            var line = (await sandbox.RunAsync(command)).FailsWith(StoreCorrupt);
            Assert.Contains($"secret {Secret} in store {sandbox.StorePath} was modified outside pgrotate", line);
        }
    }

    private Task<string> VictimStateAsync(string role) => postgres.ScalarAsync<string>(
        $"SELECT concat_ws('|', rolcanlogin, rolvaliduntil, rolpassword, (SELECT string_agg(roleid::regrole::text, ',') FROM pg_auth_members WHERE member = oid)) FROM pg_authid WHERE rolname = '{role}'");

    /// <summary>Turns the sandbox's store into one written before rows were authenticated (schema 3, key check in its first form).</summary>
    private static async Task MakeLegacyAsync(CliSandbox sandbox)
    {
        await SealLegacyKeyCheckAsync(sandbox);
        await SchemaFiveStore.DowngradeAsync(sandbox);
        await sandbox.ExecuteAsync("ALTER TABLE targets DROP COLUMN mac; ALTER TABLE secrets DROP COLUMN mac; ALTER TABLE history DROP COLUMN actor; PRAGMA user_version = 3;");
    }

    /// <summary>The key check in the form a store had before its rows were authenticated.</summary>
    private static async Task SealLegacyKeyCheckAsync(CliSandbox sandbox)
    {
        using var key = await MasterKey.ReadFileAsync(sandbox.KeyPath, TestContext.Current.CancellationToken);
        var legacyCheck = Convert.ToBase64String(new Envelope(key).SealText(new SecretText("pgrotate"), "store:key-check"));
        await sandbox.ExecuteAsync("UPDATE meta SET value = $v WHERE key = 'key_check'", ("$v", legacyCheck));
    }
}

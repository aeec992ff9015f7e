using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using PgRotate.Crypto;
using PgRotate.Store.Sqlite;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Cli;

/// <summary>
/// Each kind of bad input gets one clear line on stderr and a non-zero exit, and leaves nothing behind: the store's
/// bytes, the cluster's roles and the list of targets are as they were.
/// </summary>
[Collection(CatalogSnapshots.Name)]
public sealed class BadInputTests(PostgresFixture postgres)
{
    private const int Usage = 2;
    private const int NotFound = 3;
    private const int StoreCorrupt = 6;
    private const int MasterKeyMismatch = 8;
    private const int TargetUnreachable = 9;
    private const int AuthenticationFailed = 10;

    [Fact]
    public async Task A_role_name_with_a_quote_is_refused() =>
        Assert.Contains("'fo\"o' is not allowed", await RefusedGroupAsync("fo\"o"));

    [Fact]
    public async Task A_role_name_with_a_space_is_refused() =>
        Assert.Contains("'foo bar' is not allowed", await RefusedGroupAsync("foo bar"));

    [Fact]
    public async Task A_role_name_longer_than_63_bytes_is_refused()
    {
        var line = await RefusedAddAsync("--group", Unique.Name("foo"), "--logins", "app_a," + new string('b', 64));
        Assert.Contains("longer than 63 bytes", line);
    }

    [Fact]
    public async Task A_group_name_that_leaves_no_room_for_the_login_suffix_is_refused()
    {
        var line = await RefusedGroupAsync(new string('g', 62));
        Assert.Contains("longer than 61 bytes", line);
    }

    [Fact]
    public async Task A_non_ascii_role_name_is_refused()
    {
        var line = await RefusedGroupAsync("caf\u00e9");
        Assert.Contains("'caf\\u00e9' is not allowed", line);
    }

    [Fact]
    public async Task A_role_name_holding_sql_is_refused_and_runs_nothing()
    {
        // A payload that would leave a trace if any of it ran: a new role, and its name in the server's statement log
        // (the test cluster logs every statement). RefusedGroupAsync also compares the whole role catalog.
        var injected = Unique.Name("injected");

        var line = await RefusedGroupAsync($"x\" NOLOGIN; CREATE ROLE {injected} SUPERUSER; --");

        Assert.Contains("is not allowed", line);
        // The log first: the query below names the role itself.
        Assert.DoesNotContain(injected, await postgres.Cluster.ReadServerLogAsync(TestContext.Current.CancellationToken));
        Assert.Equal(0L, await postgres.ScalarAsync<long>($"SELECT count(*) FROM pg_roles WHERE rolname = '{injected}'"));
    }

    [Fact]
    public async Task A_role_name_with_a_line_break_is_shown_escaped_on_one_line() =>
        Assert.Contains("'foo\\u000adrop' is not allowed", await RefusedGroupAsync("foo\ndrop"));

    [Fact]
    public async Task An_unknown_target_is_reported_by_name()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var before = await StateAsync(sandbox);

        var line = (await sandbox.RunAsync("secret", "add", "orders/app", "--target", "no-such-target", "--group", Unique.Name("foo"))).FailsWith(NotFound);

        Assert.Contains("unknown target no-such-target", line);
        Assert.Equal(before, await StateAsync(sandbox));
        (await sandbox.RunAsync("target", "check", "no-such-target")).FailsWith(NotFound);
    }

    [Fact]
    public async Task A_malformed_connection_string_is_refused()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var before = await StateAsync(sandbox);

        var line = (await sandbox.RunWithInputAsync("whatever\n", "target", "add", "other", "--conn", "Host=127.0.0.1;Port=not-a-port;Username=rotator", "--password-stdin")).FailsWith(Usage);

        Assert.Contains("malformed connection string", line);
        Assert.Equal(before, await StateAsync(sandbox));
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Username=rotator;Password=TopSecret-4711;Port=not-a-port")]
    [InlineData("Host=127.0.0.1;Username=rotator;Password=TopSecret-4711;Bogus Keyword=1")]
    [InlineData("Host=127.0.0.1;Username=rotator;Password='TopSecret-4711")]
    [InlineData("Host=127.0.0.1;Username=rotator;TopSecret-4711")]
    [InlineData("Host=127.0.0.1;Username=rotator;TopSecret-4711=x")]
    [InlineData("postgresql://rotator:TopSecret-4711@127.0.0.1:not-a-port/app")]
    [InlineData("postgresql://rotator:TopSecret-4711@127.0.0.1/app?TopSecret-4711=1")]
    public async Task A_malformed_connection_string_never_echoes_its_password(string connectionString)
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var before = await StateAsync(sandbox);

        var run = await sandbox.RunAsync("target", "add", "other", "--conn", connectionString);

        var line = run.FailsWith(Usage);
        Assert.Contains("connection string", line);
        Assert.DoesNotContain("TopSecret", run.Error);
        Assert.DoesNotContain("TopSecret", run.Out);
        Assert.Equal(before, await StateAsync(sandbox));
    }

    [Fact]
    public async Task An_unreachable_server_is_reported_as_unreachable()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var port = ClosedPort();
        var before = await StateAsync(sandbox);

        var line = (await sandbox.RunWithInputAsync("whatever\n", "target", "add", "other", "--conn", $"Host=127.0.0.1;Port={port};Username=postgres", "--password-stdin")).FailsWith(TargetUnreachable);

        Assert.Contains($"127.0.0.1:{port}", line);
        Assert.Equal(before, await StateAsync(sandbox));
    }

    [Fact]
    public async Task A_wrong_admin_password_is_refused_without_showing_it()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var cluster = postgres.Cluster;
        var wrong = PasswordGenerator.Generate();
        var before = await StateAsync(sandbox);

        var run = await sandbox.RunWithInputAsync(wrong.Reveal() + "\n", "target", "add", "other", "--conn", $"Host={cluster.Host};Port={cluster.Port};Username=postgres", "--password-stdin");

        var line = run.FailsWith(AuthenticationFailed);
        Assert.Contains("password authentication failed", line);
        Assert.DoesNotContain(wrong.Reveal(), run.Error + run.Out);
        Assert.Equal(before, await StateAsync(sandbox));
    }

    [Fact]
    public async Task A_wrong_master_key_is_refused_before_anything_is_read_or_written()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var before = await StateAsync(sandbox);
        using var other = MasterKey.Generate();
        sandbox.SetEnvironment(MasterKey.EnvironmentVariable, other.ToBase64());

        var line = (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", Unique.Name("foo"))).FailsWith(MasterKeyMismatch);

        Assert.Contains("master key", line);
        Assert.DoesNotContain(other.ToBase64(), line);
        (await sandbox.RunAsync("target", "list")).FailsWith(MasterKeyMismatch);
        sandbox.SetEnvironment(MasterKey.EnvironmentVariable, null);
        Assert.Equal(before, await StateAsync(sandbox));
    }

    [Fact]
    public async Task A_store_from_an_older_pgrotate_is_not_upgraded_with_a_wrong_master_key()
    {
        using var sandbox = new CliSandbox(postgres);
        using var key = MasterKey.Generate();
        await using (var connection = new SqliteConnection($"Data Source={sandbox.StorePath}"))
        {
            // A store as the first release wrote it: schema 1 and the key check, and nothing after.
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            var migrations = typeof(SqliteSecretStore).Assembly;
            await using var script = migrations.GetManifestResourceStream(migrations.GetManifestResourceNames().Single(n => n.EndsWith("Migrations.001_initial.sql", StringComparison.Ordinal)))!;
            await using var command = connection.CreateCommand();
            command.CommandText = new StreamReader(script).ReadToEnd() +
                "\nPRAGMA user_version = 1; PRAGMA journal_mode = WAL; INSERT INTO meta VALUES ('key_id', $id), ('key_check', $check);";
            command.Parameters.AddWithValue("$id", key.KeyId);
            command.Parameters.AddWithValue("$check", Convert.ToBase64String(new Envelope(key).SealText(new SecretText("pgrotate"), "store:key-check")));
            await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var old = await sandbox.StoreBytesAsync();
        using var wrong = MasterKey.Generate();
        sandbox.SetEnvironment(MasterKey.EnvironmentVariable, wrong.ToBase64());

        (await sandbox.RunAsync("target", "list")).FailsWith(MasterKeyMismatch);

        Assert.Equal(old, await sandbox.StoreBytesAsync());
        sandbox.SetEnvironment(MasterKey.EnvironmentVariable, key.ToBase64());
        (await sandbox.RunAsync("target", "list")).Ok();
        Assert.NotEqual(old, await sandbox.StoreBytesAsync());
    }

    [Fact]
    public async Task An_sqlite_file_that_is_not_a_store_is_refused_and_left_alone()
    {
        using var sandbox = new CliSandbox(postgres);
        using var key = MasterKey.Generate();
        await key.WriteNewFileAsync(sandbox.KeyPath, TestContext.Current.CancellationToken);
        await using (var connection = new SqliteConnection($"Data Source={sandbox.StorePath}"))
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('someone else''s data')";
            await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var before = await sandbox.StoreBytesAsync();

        var line = (await sandbox.RunAsync("target", "list")).FailsWith(StoreCorrupt);

        Assert.Contains("is not a pgrotate store", line);
        Assert.Equal(before, await sandbox.StoreBytesAsync());
    }

    [Fact]
    public async Task A_truncated_store_is_reported_as_damaged_and_left_as_it_is()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var bytes = await StoreFileAsync(sandbox);
        await File.WriteAllBytesAsync(sandbox.StorePath, bytes[..(bytes.Length / 2)], TestContext.Current.CancellationToken);
        var damaged = await sandbox.StoreBytesAsync();
        var catalog = await postgres.RoleCatalogSnapshotAsync();

        var line = (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", Unique.Name("foo"))).FailsWith(StoreCorrupt);

        Assert.Contains("damaged", line);
        (await sandbox.RunAsync("target", "list")).FailsWith(StoreCorrupt);
        Assert.Equal(damaged, await sandbox.StoreBytesAsync());
        Assert.Equal(catalog, await postgres.RoleCatalogSnapshotAsync());
    }

    [Fact]
    public async Task A_store_cut_below_its_header_is_reported_as_not_a_store()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var bytes = await StoreFileAsync(sandbox);
        await File.WriteAllBytesAsync(sandbox.StorePath, bytes[..10], TestContext.Current.CancellationToken);

        var line = (await sandbox.RunAsync("target", "list")).FailsWith(StoreCorrupt);

        Assert.Contains("not a pgrotate store", line);
        Assert.Equal(bytes[..10], await sandbox.StoreBytesAsync());
    }

    [Fact]
    public async Task A_store_with_corrupted_pages_is_reported_as_damaged_and_left_as_it_is()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var bytes = await StoreFileAsync(sandbox);
        // Garbage over the middle of the file, past the header page.
        var start = bytes.Length / 2 / 4096 * 4096;
        Array.Fill(bytes, (byte)0xA5, start, 4096);
        await File.WriteAllBytesAsync(sandbox.StorePath, bytes, TestContext.Current.CancellationToken);
        var catalog = await postgres.RoleCatalogSnapshotAsync();

        var line = (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", Unique.Name("foo"))).FailsWith(StoreCorrupt);

        Assert.Contains("damaged", line);
        (await sandbox.RunAsync("target", "list")).FailsWith(StoreCorrupt);
        Assert.Equal(bytes, await sandbox.StoreBytesAsync());
        Assert.Equal(catalog, await postgres.RoleCatalogSnapshotAsync());
    }

    /// <summary>The store's database file alone, once everything committed has been checkpointed into it.</summary>
    private static async Task<byte[]> StoreFileAsync(CliSandbox sandbox)
    {
        await sandbox.StoreBytesAsync();
        Assert.False(File.Exists(sandbox.StorePath + "-wal"));
        return await File.ReadAllBytesAsync(sandbox.StorePath, TestContext.Current.CancellationToken);
    }

    /// <summary>'secret add' with a bad group name: exit 2, one line, nothing written. Returns the line.</summary>
    private Task<string> RefusedGroupAsync(string group) => RefusedAddAsync("--group", group);

    private async Task<string> RefusedAddAsync(params string[] roleOptions)
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var before = await StateAsync(sandbox);

        var line = (await sandbox.RunAsync(["secret", "add", "orders/app", "--target", sandbox.TargetName, .. roleOptions])).FailsWith(Usage);

        Assert.Equal(before, await StateAsync(sandbox));
        Assert.Equal("[]", (await sandbox.RunAsync("secret", "list", "--json")).Ok().Trim());
        return line;
    }

    /// <summary>Everything a bad command must leave alone: the store's bytes, the targets and the cluster's roles.</summary>
    private async Task<(string Store, string Targets, string Catalog)> StateAsync(CliSandbox sandbox)
    {
        var targets = (await sandbox.RunAsync("target", "list", "--json")).Ok();
        Assert.Single(JsonDocument.Parse(targets).RootElement.EnumerateArray());
        return (Convert.ToHexString(await sandbox.StoreBytesAsync()), targets, await postgres.RoleCatalogSnapshotAsync());
    }

    /// <summary>A port on 127.0.0.1 that was free a moment ago and that nothing listens on.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

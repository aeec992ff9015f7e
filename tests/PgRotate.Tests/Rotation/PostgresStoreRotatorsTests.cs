using System.Text.Json;
using PgRotate.Cli;
using PgRotate.Crypto;
using PgRotate.Store.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary>
/// Rotators on two machines sharing one PostgreSQL store: two working folders with nothing shared on disk, the same
/// master key (PGROTATE_MASTER_KEY) and the store's address (PGROTATE_STORE). Racing, they never promote one version
/// twice and clients never get a credential that fails; one killed while holding the rotation lock does not block the other.
/// </summary>
public sealed class PostgresStoreRotatorsTests(PostgresFixture postgres)
{
    private const string Secret = "orders/app";
    private const int RotationsEach = 110;

    [Fact]
    public async Task Two_machines_racing_to_rotate_one_secret_promote_each_version_once_and_clients_always_log_in()
    {
        using var key = MasterKey.Generate();
        var store = await NewStoreAsync();
        using var first = Machine(store, key);
        using var second = Machine(store, key);
        await first.InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await first.RunAsync("secret", "add", Secret, "--target", first.TargetName, "--group", group)).Ok();
        Assert.Empty(Directory.EnumerateFileSystemEntries(first.Directory));

        using var done = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var client = Task.Run(() => RunClientAsync([first, second], group, done.Token), TestContext.Current.CancellationToken);
        var rotators = await Task.WhenAll(RotateAsync(first), RotateAsync(second));
        await done.CancelAsync();
        var (logins, failures) = await client;

        // Every rotation promoted a version of its own, and together they are 2..n without a gap.
        var promoted = rotators.SelectMany(v => v).Order().ToList();
        Assert.Equal(Enumerable.Range(2, 2 * RotationsEach), promoted);
        var state = await SecretState.AssertSettledAsync(postgres, second, Secret, group);
        Assert.Equal(1 + (2 * RotationsEach), state.Current.Number);
        var history = JsonDocument.Parse((await second.RunAsync("history", Secret, "--json")).Ok()).RootElement.EnumerateArray()
            .Where(e => e.GetProperty("event").GetString() is "rotated" or "activated")
            .Select(e => e.GetProperty("version").GetInt32());
        Assert.Equal(Enumerable.Range(1, state.Current.Number), history);
        Assert.Empty(failures);
        Assert.True(logins > 0);
        Assert.Empty(Directory.EnumerateFileSystemEntries(first.Directory));
        Assert.Empty(Directory.EnumerateFileSystemEntries(second.Directory));
    }

    [Fact]
    public async Task A_rotator_killed_while_holding_the_lock_leaves_it_to_the_other_machine()
    {
        using var key = MasterKey.Generate();
        var store = await NewStoreAsync();
        using var first = Machine(store, key);
        using var second = Machine(store, key);
        await first.InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await first.RunAsync("secret", "add", Secret, "--target", first.TargetName, "--group", group)).Ok();

        // Killed after setting the password on the server: inside the rotation, with the lock held.
        var killed = await CliProcess.RunAsync(first, "set", "rotate", Secret, "--force");
        Assert.True(killed.ExitCode == CliProcess.KilledExitCode, $"the child should have died of SIGKILL; exit {killed.ExitCode}, stderr: {killed.Error}");
        Assert.Equal(2, (await SecretState.ReadAsync(second, Secret)).Pending?.Number);

        // The wait only covers the moment the server takes to notice the dead session; a lock that outlived its holder fails with exit 13.
        var resumed = Assert.Single(RotateRun.Parse((await second.RunAsync("rotate", Secret, "--json", "--force", "--wait", "30s")).Ok()));
        Assert.True(resumed.Resumed);
        Assert.Equal(2, resumed.Version);
        await SecretState.AssertSettledAsync(postgres, second, Secret, group);
    }

    /// <summary>A database of its own for the store, reached as a role with a password given in PGROTATE_STORE_PASSWORD.</summary>
    private async Task<(string Location, string Password)> NewStoreAsync()
    {
        var database = await postgres.CreateDatabaseAsync();
        var role = Unique.Name("store");
        var password = PasswordGenerator.Generate().Reveal();
        await postgres.ExecuteAsync($"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'; ALTER DATABASE \"{database}\" OWNER TO \"{role}\"");
        return ($"postgresql://{role}@{postgres.Cluster.Host}:{postgres.Cluster.Port}/{database}", password);
    }

    /// <summary>A working folder of its own, as on another machine: only the store's address and the master key in common.</summary>
    private CliSandbox Machine((string Location, string Password) store, MasterKey key)
    {
        var sandbox = new CliSandbox(postgres);
        sandbox.SetEnvironment(CliContext.StoreVariable, store.Location);
        sandbox.SetEnvironment(PostgresStoreConnection.PasswordVariable, store.Password);
        sandbox.SetEnvironment(MasterKey.EnvironmentVariable, key.ToBase64());
        return sandbox;
    }

    private static async Task<List<int>> RotateAsync(CliSandbox machine)
    {
        var versions = new List<int>();
        for (var i = 0; i < RotationsEach; i++)
        {
            versions.Add(Assert.Single(RotateRun.Parse((await machine.RunAsync("rotate", Secret, "--json", "--force", "--wait", "60s")).Ok())).Version);
        }

        return versions;
    }

    /// <summary>
    /// A client that keeps fetching the current credential (from either machine) and logging in with it. A login that
    /// fails counts as a failure unless the credential was two rotations old by then: the alternating pattern gives a
    /// login a new password on the rotation after next, so a client that slept through two rotations must fetch again.
    /// </summary>
    private async Task<(int Logins, List<string> Failures)> RunClientAsync(CliSandbox[] machines, string group, CancellationToken done)
    {
        var (logins, failures) = (0, new List<string>());
        for (var i = 0; !done.IsCancellationRequested; i++)
        {
            var machine = machines[i % machines.Length];
            var login = await ClientLogin.GetAsync(machine, Secret);
            var who = await ClientLogin.WhoAmIAsync(postgres, login);
            if (who == $"{login.Username}/{group}")
            {
                logins++;
                continue;
            }

            var now = await ClientLogin.GetAsync(machine, Secret);
            if (now.Version - login.Version < 2)
            {
                failures.Add($"version {login.Version} ({login.Username}): {who}; current is now {now.Version}");
            }
        }

        return (logins, failures);
    }
}

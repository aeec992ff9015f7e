using Npgsql;
using PgRotate.Contracts;
using PgRotate.Crypto;
using PgRotate.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Leases;

/// <summary>
/// A CLI sandbox whose target's admin is a non-superuser CREATEROLE login (the least-privilege rotator, on every
/// version under test), with one dynamic secret on a fresh group that may create tables in public.
/// </summary>
public sealed class LeaseSandbox : IDisposable
{
    private LeaseSandbox(CliSandbox cli, string rotator, SecretText rotatorPassword, string group, string secret)
    {
        Cli = cli;
        Rotator = rotator;
        RotatorPassword = rotatorPassword;
        Group = group;
        Secret = secret;
    }

    public CliSandbox Cli { get; }
    public string Rotator { get; }
    public SecretText RotatorPassword { get; }
    public string Group { get; }
    public string Secret { get; }
    public PostgresFixture Postgres => Cli.Postgres;

    public static async Task<LeaseSandbox> CreateAsync(PostgresFixture postgres, TimeProvider? time = null, string database = "postgres", params string[] addOptions)
    {
        var rotator = Unique.Name("rotator");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(rotator)} CREATEROLE");
        var password = await Logins.GivePasswordAsync(postgres, rotator);
        var cli = await new CliSandbox(postgres, time).InitializedWithTargetAsync(database, rotator, password.Reveal());
        var group = Unique.Name("grp");
        var secret = "leases/" + group;
        (await cli.RunAsync(["secret", "add", secret, "--target", cli.TargetName, "--group", group, "--strategy", "dynamic", .. addOptions])).Ok();
        await postgres.ExecuteAsync($"GRANT CREATE ON SCHEMA public TO {Sql.Identifier(group)}", database);
        return new LeaseSandbox(cli, rotator, password, group, secret);
    }

    /// <summary><c>lease issue</c> as JSON, parsed.</summary>
    public async Task<LeaseCredential> IssueAsync(params string[] options)
    {
        var output = (await Cli.RunAsync(["lease", "issue", Secret, .. options])).Ok();
        return PgRotateJson.Deserialize<LeaseCredential>(output)!;
    }

    public Task<NpgsqlConnection> LoginAsync(LeaseCredential lease, string database = "postgres") =>
        Logins.OpenAsync(Postgres, lease.Username, new SecretText(lease.Password), database);

    public Task<bool> RoleExistsAsync(string role) =>
        Postgres.ScalarAsync<bool>($"SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {Sql.Literal(role)})");

    public async Task<IReadOnlyList<LeaseSummary>> ListAsync(params string[] options) =>
        PgRotateJson.Deserialize<List<LeaseSummary>>((await Cli.RunAsync(["lease", "list", "--json", .. options])).Ok())!;

    /// <summary>
    /// Another working folder on the same store and key, whose clock is <paramref name="time"/>: for the reaper and the
    /// sweep run later than now.
    /// </summary>
    public CliSandbox At(TimeProvider time)
    {
        var later = new CliSandbox(Postgres, time);
        later.SetEnvironment(PgRotate.Cli.CliContext.StoreVariable, Cli.StorePath);
        later.SetEnvironment(PgRotate.Cli.CliContext.KeyFileVariable, Cli.KeyPath);
        return later;
    }

    /// <summary>The lease roles of this sandbox's group that exist on the server.</summary>
    public async Task<IReadOnlyList<string>> LeaseRolesAsync()
    {
        await using var connection = await Postgres.Cluster.OpenSuperuserConnectionAsync("postgres");
        await using var command = new NpgsqlCommand("SELECT rolname::text FROM pg_roles WHERE left(rolname, length($1)) = $1 ORDER BY 1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = Group + "_l_" });
        var roles = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            roles.Add(reader.GetString(0));
        }

        return roles;
    }

    public void Dispose() => Cli.Dispose();
}

using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Npgsql;
using PgRotate.Crypto;
using PgRotate.Bench.Server;
using PgRotate.Cli;
using PgRotate.Local;

namespace PgRotate.Bench.Replicas;

/// <summary>
/// The PostgreSQL store the replicas share: a database of its own on the throwaway cluster, owned by a non-superuser
/// role, reached by every pgrotate process through the environment only (store password and master key never in argv).
/// </summary>
internal sealed partial class SharedStore
{
    private SharedStore(string pgrotate, IReadOnlyDictionary<string, string> environment)
    {
        Pgrotate = pgrotate;
        Environment = environment;
    }

    /// <summary>The pgrotate binary (its dll, run with dotnet) copied beside this program.</summary>
    public string Pgrotate { get; }

    /// <summary>PGROTATE_STORE, PGROTATE_STORE_PASSWORD and PGROTATE_MASTER_KEY for every child process.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    public static async Task<SharedStore> CreateAsync(ThrowawayCluster cluster, CancellationToken cancellationToken)
    {
        const string role = "pgrotate_store";
        const string database = "pgrotate_store";
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        await cluster.CreateLoginRoleAsync(role, new SecretText(password), cancellationToken);

        await using (var superuser = await cluster.OpenSuperuserConnectionAsync(cancellationToken: cancellationToken))
        {
            await using var db = new NpgsqlCommand($"CREATE DATABASE \"{database}\" OWNER \"{role}\"", superuser);
            await db.ExecuteNonQueryAsync(cancellationToken);
        }

        var environment = new Dictionary<string, string>
        {
            ["PGROTATE_STORE"] = $"Host={cluster.Host};Port={cluster.Port};Database={database};Username={role}",
            ["PGROTATE_STORE_PASSWORD"] = password,
            ["PGROTATE_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        };
        return new SharedStore(Path.Combine(AppContext.BaseDirectory, "pgrotate.dll"), environment);
    }

    /// <summary>Runs one pgrotate command to its end; a non-zero exit is an error naming the command.</summary>
    public Task<string> RunAsync(string? stdin, params string[] args) => ChildProcess.RunAsync("dotnet", [Pgrotate, .. args], Environment, stdin);

    /// <summary>
    /// Runs one pgrotate command inside this process, with the same environment as a child process gets: for the many
    /// <c>secret add</c>s of the set-up, which would otherwise each pay a process start and the JIT, seconds apiece on a
    /// busy machine, and make the set-up straddle the minute boundaries the run is timed by.
    /// </summary>
    public async Task<string> RunInProcessAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var host = new CliHost(output, error, new StringReader(""), name => Environment.GetValueOrDefault(name), Path.GetTempPath(), TimeProvider.System);
        var exit = await CliApp.RunAsync(args, host, CancellationToken.None);
        if (exit != 0)
        {
            throw new InvalidOperationException($"pgrotate {string.Join(' ', args.Take(2))} exited {exit}: {error.ToString().Trim()}");
        }

        return output.ToString();
    }

    /// <summary>Starts one pgrotate command and returns at once (a replica).</summary>
    public ChildProcess Start(params string[] args) => ChildProcess.Start("dotnet", [Pgrotate, .. args], Environment);

    /// <summary>The token printed once by <c>token create</c>.</summary>
    public static string TokenIn(string output) => TokenPattern().Match(output).Value;

    [GeneratedRegex(@"pgr_[A-Za-z0-9_\-]+")]
    private static partial Regex TokenPattern();
}

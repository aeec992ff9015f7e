using Microsoft.Extensions.Time.Testing;
using PgRotate.Cli;

namespace PgRotate.Tests.Support;

/// <summary>
/// A private working folder with its own store, and a way to run the CLI in it in-process with captured output.
/// <see cref="InitializedWithTargetAsync"/> gives a store with a target on the test cluster, as the superuser.
/// </summary>
public sealed class CliSandbox : IDisposable
{
    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal);

    public CliSandbox(PostgresFixture postgres, TimeProvider? time = null)
    {
        Postgres = postgres;
        Time = time ?? TimeProvider.System;
        Directory = System.IO.Directory.CreateTempSubdirectory("pgrotate-test-").FullName;
    }

    public PostgresFixture Postgres { get; }
    public TimeProvider Time { get; }
    public string Directory { get; }
    public string StorePath => Path.Combine(Directory, "pgrotate.db");
    public string KeyPath => StorePath + ".key";
    public string TargetName { get; private set; } = "";

    /// <summary>The variables set with <see cref="SetEnvironment"/>; a <see cref="CliProcess"/> started in this sandbox gets them too.</summary>
    public IReadOnlyDictionary<string, string> Environment => _environment;

    public void SetEnvironment(string name, string? value)
    {
        if (value is null) _environment.Remove(name);
        else _environment[name] = value;
    }

    public async Task<CliRun> RunAsync(params string[] args) => await RunWithInputAsync("", args);

    public async Task<CliRun> RunWithInputAsync(string stdin, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var host = new CliHost(output, error, new StringReader(stdin), name => _environment.GetValueOrDefault(name), Directory, Time);
        var exit = await CliApp.RunAsync(args, host, TestContext.Current.CancellationToken);
        return new CliRun(exit, output.ToString(), error.ToString());
    }

    /// <summary>init + target add (superuser, database <paramref name="database"/>).</summary>
    public async Task<CliSandbox> InitializedWithTargetAsync(string database = "postgres", string? user = null, string? password = null)
    {
        (await RunAsync("init")).Ok();
        TargetName = Unique.Name("t").Replace('_', '-');
        var cluster = Postgres.Cluster;
        (await RunWithInputAsync((password ?? cluster.SuperuserPassword.Reveal()) + "\n", "target", "add", TargetName,
            "--conn", $"Host={cluster.Host};Port={cluster.Port};Database={database};Username={user ?? "postgres"}", "--password-stdin")).Ok();
        return this;
    }

    /// <summary>
    /// Another working folder using this sandbox's store and master key, with its target name: a second machine for a
    /// store in PostgreSQL; for an SQLite store, a second folder on this machine that names this one's files.
    /// </summary>
    public CliSandbox SharingStore()
    {
        var other = new CliSandbox(Postgres, Time) { TargetName = TargetName };
        foreach (var (name, value) in _environment)
        {
            other.SetEnvironment(name, value);
        }

        if (!_environment.ContainsKey(CliContext.StoreVariable))
        {
            other.SetEnvironment(CliContext.StoreVariable, StorePath);
            other.SetEnvironment(CliContext.KeyFileVariable, KeyPath);
        }

        return other;
    }

    public static FakeTimeProvider FakeTime() => new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

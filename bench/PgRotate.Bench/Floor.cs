using System.Diagnostics;
using Npgsql;
using PgRotate.Crypto;
using PgRotate.Local;
using PgRotate.Postgres;

namespace PgRotate.Bench;

/// <summary>
/// The least any alternating rotation must do, measured directly on the same server: compute one verifier, run one
/// ALTER ROLE … PASSWORD '&lt;verifier&gt;' over an open admin connection, and make one fresh SCRAM login as the
/// rotated role (a new data source per password, type loading off, as pgrotate does). One sample per call, so the
/// benchmark can interleave floor samples with rotations and both see the same machine.
/// </summary>
public sealed class Floor : IAsyncDisposable
{
    private readonly ThrowawayCluster _cluster;
    private readonly NpgsqlConnection _admin;
    private readonly string _role;
    private readonly int _iterations;

    private Floor(ThrowawayCluster cluster, NpgsqlConnection admin, string role, int iterations) =>
        (_cluster, _admin, _role, _iterations) = (cluster, admin, role, iterations);

    public Stats Verifier { get; } = new("floor: compute one SCRAM verifier");
    public Stats Alter { get; } = new("floor: ALTER ROLE … PASSWORD '<verifier>'");
    public Stats Login { get; } = new("floor: fresh SCRAM login as the rotated role");

    /// <summary>The three together, per sample, for a p99 beside the stores' whole rotations.</summary>
    public Stats Whole { get; } = new("floor: the three together");
    public double Total => Verifier.Median + Alter.Median + Login.Median;

    public static async Task<Floor> CreateAsync(ThrowawayCluster cluster, int iterations)
    {
        // The rotated role is shaped like a real alternating login: a member of its group that defaults to it, so the
        // login pays for the same SET ROLE at start-up that a pgrotate login does.
        var role = "floor_" + Guid.NewGuid().ToString("N")[..8];
        var group = Sql.Identifier(role + "_group");
        var admin = await cluster.OpenSuperuserConnectionAsync();
        await using (var create = new NpgsqlCommand(
            $"CREATE ROLE {group} NOLOGIN; CREATE ROLE {Sql.Identifier(role)} LOGIN; GRANT {group} TO {Sql.Identifier(role)}; ALTER ROLE {Sql.Identifier(role)} SET role = {Sql.Literal(role + "_group")}",
            admin))
        {
            await create.ExecuteNonQueryAsync();
        }

        return new Floor(cluster, admin, role, iterations);
    }

    public async Task SampleAsync(bool record)
    {
        var password = PasswordGenerator.Generate();
        var started = Stopwatch.GetTimestamp();
        var text = ScramVerifier.Create(password, _iterations);
        var computed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;

        started = Stopwatch.GetTimestamp();
        await using (var command = new NpgsqlCommand($"ALTER ROLE {Sql.Identifier(_role)} PASSWORD {Sql.Literal(text)}", _admin))
        {
            await command.ExecuteNonQueryAsync();
        }

        var altered = Stopwatch.GetElapsedTime(started).TotalMilliseconds;

        started = Stopwatch.GetTimestamp();
        await using (var source = TargetConnector.Build(_cluster.ConnectionString(), _role, password, null, pooling: false))
        await using (var fresh = await source.OpenConnectionAsync())
        {
        }

        var loggedIn = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (record)
        {
            Verifier.Add(computed);
            Alter.Add(altered);
            Login.Add(loggedIn);
            Whole.Add(computed + altered + loggedIn);
        }
    }

    public ValueTask DisposeAsync() => _admin.DisposeAsync();
}

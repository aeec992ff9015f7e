using System.Diagnostics;
using Npgsql;
using PgRotate.Crypto;
using PgRotate.Local;
using PgRotate.Postgres;

namespace PgRotate.Bench;

/// <summary>
/// The least any alternating rotation must do, measured directly on the same server: compute one verifier, run one
/// ALTER ROLE … PASSWORD '&lt;verifier&gt;' over an open admin connection, and make one fresh SCRAM login as the
/// rotated role (a new data source per password, type loading off, as pgrotate does).
/// </summary>
public static class Floor
{
    public sealed record Result(Stats Verifier, Stats Alter, Stats Login)
    {
        public double Total => Verifier.Median + Alter.Median + Login.Median;
    }

    public static async Task<Result> MeasureAsync(ThrowawayCluster cluster, int samples, int iterations)
    {
        var role = "floor_" + Guid.NewGuid().ToString("N")[..8];
        await using var admin = NpgsqlDataSource.Create(cluster.ConnectionString());
        await using var connection = await admin.OpenConnectionAsync();
        await using (var create = new NpgsqlCommand($"CREATE ROLE {Sql.Identifier(role)} LOGIN", connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        var verifier = new Stats("floor: compute one SCRAM verifier");
        var alter = new Stats("floor: ALTER ROLE … PASSWORD '<verifier>'");
        var login = new Stats("floor: fresh SCRAM login as the rotated role");
        for (var i = 0; i < samples + 5; i++)
        {
            var password = PasswordGenerator.Generate();
            var started = Stopwatch.GetTimestamp();
            var text = ScramVerifier.Create(password, iterations);
            var computed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;

            started = Stopwatch.GetTimestamp();
            await using (var command = new NpgsqlCommand($"ALTER ROLE {Sql.Identifier(role)} PASSWORD {Sql.Literal(text)}", connection))
            {
                await command.ExecuteNonQueryAsync();
            }

            var altered = Stopwatch.GetElapsedTime(started).TotalMilliseconds;

            started = Stopwatch.GetTimestamp();
            await using (var source = TargetConnector.Build(cluster.ConnectionString(), role, password, null, pooling: false))
            await using (var fresh = await source.OpenConnectionAsync())
            {
            }

            var loggedIn = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (i >= 5)
            {
                verifier.Add(computed);
                alter.Add(altered);
                login.Add(loggedIn);
            }
        }

        return new Result(verifier, alter, login);
    }
}

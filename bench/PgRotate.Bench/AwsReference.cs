using System.Diagnostics;
using Npgsql;
using PgRotate.Crypto;
using PgRotate.Local;
using PgRotate.Postgres;

namespace PgRotate.Bench;

/// <summary>
/// The reference: AWS's alternating-users ("MultiUser") rotation Lambda, its database work re-run step for step with
/// the same driver pgrotate uses (the algorithm is described in docs/benchmark.md). Per rotation: setSecret tries to log in with the pending
/// credential (expected to fail), logs in with the current one, logs in as the master, runs quote_ident and the
/// pg_roles lookup, then ALTER USER … WITH PASSWORD '&lt;plaintext&gt;' (the server hashes it); testSecret logs in with
/// the pending credential and runs SELECT NOW(). Four logins, one failing. The secret store calls are not counted.
/// </summary>
public static class AwsReference
{
    public static async Task<Stats> MeasureAsync(ThrowawayCluster cluster, int rotations)
    {
        var user = "aws_" + Guid.NewGuid().ToString("N")[..8];
        var clone = user + "_clone";
        await using (var admin = await cluster.OpenSuperuserConnectionAsync())
        {
            var first = PasswordGenerator.Generate();
            await using var setup = new NpgsqlCommand(
                $"CREATE ROLE {Sql.Identifier(user)} LOGIN PASSWORD {Sql.Literal(ScramVerifier.Create(first))}; CREATE ROLE {Sql.Identifier(clone)} LOGIN PASSWORD {Sql.Literal(ScramVerifier.Create(first))}; GRANT {Sql.Identifier(user)} TO {Sql.Identifier(clone)}",
                admin);
            await setup.ExecuteNonQueryAsync();
            var current = (Username: user, Password: first);
            await using (var set = new NpgsqlCommand($"ALTER ROLE {Sql.Identifier(user)} PASSWORD {Sql.Literal(ScramVerifier.Create(first))}", admin))
            {
                await set.ExecuteNonQueryAsync();
            }

            var stats = new Stats("AWS MultiUser Lambda algorithm (same driver)");
            for (var i = 0; i < rotations + 5; i++)
            {
                // createSecret: no SQL.
                var pending = (Username: current.Username == user ? clone : user, Password: PasswordGenerator.Generate());
                var started = Stopwatch.GetTimestamp();

                // setSecret 1: can PENDING log in already? (it cannot: its password is not set yet)
                try
                {
                    await using var probe = await LoginAsync(cluster, pending.Username, pending.Password);
                    throw new InvalidOperationException("pending logged in before it was set");
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidPassword)
                {
                }

                // setSecret 3: log in with CURRENT (confused-deputy check).
                await using (await LoginAsync(cluster, current.Username, current.Password))
                {
                }

                // setSecret 4-5: log in as master; quote_ident; role lookup; ALTER USER with the plaintext password.
                await using (var master = await LoginAsync(cluster, ThrowawayCluster.SuperuserName, cluster.SuperuserPassword))
                {
                    await using var quote = new NpgsqlCommand("SELECT quote_ident($1), quote_ident($2)", master);
                    quote.Parameters.Add(new NpgsqlParameter { Value = pending.Username });
                    quote.Parameters.Add(new NpgsqlParameter { Value = current.Username });
                    await quote.ExecuteScalarAsync();
                    await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_roles WHERE rolname = $1", master);
                    exists.Parameters.Add(new NpgsqlParameter { Value = pending.Username });
                    await exists.ExecuteScalarAsync();
                    await using var alter = new NpgsqlCommand($"ALTER USER {Sql.Identifier(pending.Username)} WITH PASSWORD {Sql.Literal(pending.Password.Reveal())}", master);
                    await alter.ExecuteNonQueryAsync();
                }

                // testSecret: log in with PENDING and SELECT NOW().
                await using (var test = await LoginAsync(cluster, pending.Username, pending.Password))
                await using (var now = new NpgsqlCommand("SELECT NOW()", test))
                {
                    await now.ExecuteScalarAsync();
                }

                // finishSecret: no SQL.
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (i >= 5)
                {
                    stats.Add(elapsed);
                }

                current = pending;
            }

            return stats;
        }
    }

    private static async Task<NpgsqlConnection> LoginAsync(ThrowawayCluster cluster, string username, SecretText password)
    {
        await using var source = TargetConnector.Build(cluster.ConnectionString(), username, password, null, pooling: false);
        return await source.OpenConnectionAsync();
    }
}

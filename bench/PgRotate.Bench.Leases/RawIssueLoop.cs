using System.Globalization;
using Npgsql;
using PgRotate.Crypto;
using PgRotate.Postgres;

namespace PgRotate.Bench.Leases;

/// <summary>
/// What issuing a lease costs in PostgreSQL alone, with no server, store or HTTP around it: the same statements a
/// lease runs (a login with a freshly computed SCRAM verifier and an expiry, the comment that marks it as a lease, made a
/// member of the group and defaulting to it), in one round trip per login, as one implicit transaction.
/// </summary>
internal sealed class RawIssueLoop(NpgsqlDataSource admin, string group, string prefix)
{
    private int _made;

    public async Task IssueAsync(CancellationToken cancellationToken)
    {
        var role = Sql.Identifier(prefix + Interlocked.Increment(ref _made).ToString(CultureInfo.InvariantCulture));
        var verifier = ScramVerifier.Create(new SecretText(Guid.NewGuid().ToString("N")));
        var until = DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-dd HH:mm:ssZ", CultureInfo.InvariantCulture);
        await using var command = admin.CreateCommand(
            $"CREATE ROLE {role} LOGIN PASSWORD '{verifier}' VALID UNTIL '{until}'; COMMENT ON ROLE {role} IS 'raw loop'; " +
            $"GRANT {Sql.Identifier(group)} TO {role}; ALTER ROLE {role} SET role = {Sql.Identifier(group)}");
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Drops every login the loop made, so the scale run's count of leftovers sees only leases.</summary>
    public async Task DropAllAsync(CancellationToken cancellationToken)
    {
        for (var first = 1; first <= _made; first += 500)
        {
            var names = Enumerable.Range(first, Math.Min(500, _made - first + 1)).Select(i => Sql.Identifier(prefix + i.ToString(CultureInfo.InvariantCulture)));
            await using var command = admin.CreateCommand($"DROP ROLE IF EXISTS {string.Join(", ", names)}");
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}

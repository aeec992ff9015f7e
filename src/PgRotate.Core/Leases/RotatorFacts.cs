using System.Collections.Concurrent;
using System.Globalization;
using Npgsql;
using PgRotate.Postgres;
using PgRotate.Targets;

namespace PgRotate.Leases;

/// <summary>
/// What the statements of a lease depend on about a target and do not change from one lease to the next: its version
/// (16+ has per-grant INHERIT and SET options), whether the admin login is a superuser (one that is not needs the
/// lease's role granted to itself to end the lease later) and its <c>scram_iterations</c> (the cost of the verifier).
/// Read in one query and kept for <see cref="KeptFor"/> per target and admin login, so issuing a lease costs no extra
/// round trip. A long-running process keeps one instance for all its issuers (the server registers one).
/// </summary>
public sealed class RotatorFacts(TargetConnector connector, TimeProvider time)
{
    /// <summary>Short, so that a DBA's change (a new scram_iterations, an upgrade, another admin login) is picked up soon.</summary>
    public static readonly TimeSpan KeptFor = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, (Facts Facts, DateTimeOffset ReadAt)> _known = new(StringComparer.Ordinal);

    /// <summary>The facts of one target as read at one moment.</summary>
    internal readonly record struct Facts(int ServerVersionNum, bool IsSuperuser, int ScramIterations);

    internal async Task<Facts> ReadAsync(Target target, CancellationToken cancellationToken)
    {
        var key = $"{target.Name}\n{target.ConnectionString}\n{target.Username}";
        var now = time.GetUtcNow();
        if (_known.TryGetValue(key, out var known) && now - known.ReadAt < KeptFor)
        {
            return known.Facts;
        }

        var connection = await connector.OpenAdminAsync(target, cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var command = new NpgsqlCommand(
            "SELECT current_setting('server_version_num')::int, rolsuper, current_setting('scram_iterations', true) FROM pg_roles WHERE rolname = current_user", connection);
        await using var closeCommand = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        // scram_iterations exists from 16 on; before, PostgreSQL hashes with 4096.
        var iterations = !reader.IsDBNull(2) && int.TryParse(reader.GetString(2), CultureInfo.InvariantCulture, out var read) && read > 0 ? read : ScramVerifier.DefaultIterations;
        var facts = new Facts(reader.GetInt32(0), reader.GetBoolean(1), iterations);
        _known[key] = (facts, now);
        return facts;
    }

    /// <summary>
    /// What a non-superuser admin login needs to hold on a role to end its lease: the role's privileges (REASSIGN OWNED
    /// and DROP OWNED act only with them, and ending its sessions needs them without pg_signal_backend). On 16+ the
    /// CREATEROLE login holds only the ADMIN option on a role it created, so it grants itself INHERIT (never SET: it
    /// has no reason to act as the lease). On 15 a plain membership.
    /// </summary>
    internal static RoleStatement? SelfGrant(RoleName role, Facts facts) =>
        facts.IsSuperuser ? null : RoleSql.GrantToSelf(role, facts.ServerVersionNum, inherit: true, set: false);
}

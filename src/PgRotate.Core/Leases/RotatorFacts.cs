using System.Collections.Concurrent;
using Npgsql;
using PgRotate.Postgres;
using PgRotate.Targets;

namespace PgRotate.Leases;

/// <summary>
/// What the statements of a lease depend on about a target: its version (16+ has per-grant INHERIT and SET options)
/// and whether the admin login is a superuser (one that is not needs the lease's role granted to itself to end the
/// lease later). Read once per target and kept a few minutes, so issuing a lease costs no extra round trip.
/// </summary>
internal sealed class RotatorFacts(TargetConnector connector, TimeProvider time)
{
    private static readonly TimeSpan KeptFor = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, (int Version, bool Superuser, DateTimeOffset ReadAt)> _known = new(StringComparer.Ordinal);

    public async Task<(int ServerVersionNum, bool IsSuperuser)> ReadAsync(Target target, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_known.TryGetValue(target.Name, out var known) && now - known.ReadAt < KeptFor)
        {
            return (known.Version, known.Superuser);
        }

        var connection = await connector.OpenAdminAsync(target, cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var command = new NpgsqlCommand("SELECT current_setting('server_version_num')::int, rolsuper FROM pg_roles WHERE rolname = current_user", connection);
        await using var closeCommand = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var read = (reader.GetInt32(0), reader.GetBoolean(1));
        _known[target.Name] = (read.Item1, read.Item2, now);
        return read;
    }

    /// <summary>
    /// What a non-superuser admin login needs to hold on a role to end its lease: the role's privileges (REASSIGN OWNED
    /// and DROP OWNED act only with them, and ending its sessions needs them without pg_signal_backend). On 16+ the
    /// CREATEROLE login holds only the ADMIN option on a role it created, so it grants itself INHERIT (never SET: it
    /// has no reason to act as the lease). On 15 a plain membership.
    /// </summary>
    public static RoleStatement? SelfGrant(RoleName role, int serverVersionNum, bool isSuperuser) =>
        isSuperuser ? null : RoleSql.GrantToSelf(role, serverVersionNum, inherit: true, set: false);
}

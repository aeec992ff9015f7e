using PgRotate.Contracts;
using PgRotate.Errors;
using PgRotate.Leases;
using PgRotate.Scheduling;
using PgRotate.Secrets;

namespace PgRotate.Cli.Commands.Agent;

/// <summary>
/// Which secrets the agent takes leases of (<c>--lease</c> for all, the config's <c>leaseSecrets</c> for some) and
/// how: each lease's TTL (null: the secret's default) and how long a replaced lease stays before it is revoked.
/// </summary>
internal sealed record AgentLeases(IReadOnlySet<string> Secrets, TimeSpan? Ttl, TimeSpan Grace)
{
    /// <summary>Long enough for a client that reads the file per connection, or on a failed login, to have moved on.</summary>
    public static readonly TimeSpan DefaultGrace = TimeSpan.FromSeconds(30);

    public bool Covers(string secret) => Secrets.Contains(secret);

    /// <summary>The lease settings from the flags and the config file; a TTL or grace with no secret on a lease is refused.</summary>
    public static AgentLeases From(bool leaseFlag, string? ttlFlag, string? graceFlag, AgentConfig file, IReadOnlySet<string> rendered)
    {
        var listed = (file.LeaseSecrets ?? []).Select(SecretName.ParseSecret).ToList();
        if (listed.FirstOrDefault(s => !rendered.Contains(s)) is { } stray)
        {
            throw PgRotateException.InvalidInput($"leaseSecrets names {stray}, which no --render or --pgbouncer-databases writes");
        }

        var all = leaseFlag || file.Lease == true;
        var secrets = all ? rendered : listed.ToHashSet(StringComparer.Ordinal);
        var ttlText = ttlFlag ?? file.LeaseTtl;
        var graceText = graceFlag ?? file.LeaseGrace;
        if (secrets.Count == 0 && (ttlText ?? graceText) is not null)
        {
            throw PgRotateException.InvalidInput($"{(ttlText is not null ? "--lease-ttl" : "--lease-grace")} is for secrets on a lease; add --lease");
        }

        var ttl = ttlText is null ? (TimeSpan?)null : LeaseIssuer.ParseTtl(ttlText, "--lease-ttl");
        var grace = graceText is null ? DefaultGrace : Durations.Parse(graceText, "--lease-grace");
        if (grace < TimeSpan.Zero)
        {
            throw PgRotateException.InvalidInput($"--lease-grace {graceText} is negative");
        }

        return new AgentLeases(secrets, ttl, grace);
    }
}

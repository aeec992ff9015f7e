using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace PgRotate.Leases;

/// <summary>
/// The <c>PgRotate.Leases</c> meter: leases issued and renewed, leases ended (tagged by reason), and failed attempts to
/// drop a lease's role (each one is retried with backoff; a rising count is a revocation that keeps failing, also shown
/// by <c>pgrotate lease list</c>). One meter for the process, like <see cref="Postgres.TargetMetrics"/>.
/// </summary>
public static class LeaseMetrics
{
    public const string MeterName = "PgRotate.Leases";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Issued = Meter.CreateCounter<long>("pgrotate.leases.issued", unit: "{lease}", description: "Leases issued");

    private static readonly Counter<long> Renewed = Meter.CreateCounter<long>("pgrotate.leases.renewed", unit: "{lease}", description: "Lease renewals");

    private static readonly Counter<long> Revoked = Meter.CreateCounter<long>("pgrotate.leases.revoked", unit: "{lease}", description: "Lease roles dropped, by why the lease ended");

    private static readonly Counter<long> RevocationFailures =
        Meter.CreateCounter<long>("pgrotate.leases.revocation_failures", unit: "{attempt}", description: "Failed attempts to drop a lease's role (retried with backoff)");

    internal static void RecordIssued(string secret) => Issued.Add(1, new TagList { { "secret", secret } });

    internal static void RecordRenewed(string secret) => Renewed.Add(1, new TagList { { "secret", secret } });

    internal static void RecordRevoked(string secret, string reason) => Revoked.Add(1, new TagList { { "secret", secret }, { "reason", reason } });

    internal static void RecordRevocationFailure(string secret) => RevocationFailures.Add(1, new TagList { { "secret", secret } });
}

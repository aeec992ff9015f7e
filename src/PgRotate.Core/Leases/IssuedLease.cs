using PgRotate.Credentials;

namespace PgRotate.Leases;

/// <summary>A lease just issued, with the credential to connect with (the only time its password leaves the store unasked).</summary>
public sealed record IssuedLease(Lease Lease, Credential Credential);

namespace PgRotate.Server.VaultCompatibility;

/// <summary>
/// <c>data</c> of <c>GET /v1/MOUNT/static-creds/NAME</c>: the secret's current login and password,
/// <see cref="Ttl"/> seconds until its next scheduled rotation (0 when none is scheduled), <see cref="RotationPeriod"/>
/// the seconds between rotations (0 when none is scheduled), and when the current login became current.
/// </summary>
internal sealed record VaultStaticCredentialData(string Username, string Password, long Ttl, long RotationPeriod, DateTimeOffset? LastVaultRotation);

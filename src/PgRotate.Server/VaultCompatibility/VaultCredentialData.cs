namespace PgRotate.Server.VaultCompatibility;

/// <summary><c>data</c> of <c>GET /v1/MOUNT/creds/ROLE</c>: the lease's own login and its password.</summary>
internal sealed record VaultCredentialData(string Username, string Password);

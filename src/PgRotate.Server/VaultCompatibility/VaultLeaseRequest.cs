using System.Text.Json;

namespace PgRotate.Server.VaultCompatibility;

/// <summary>
/// The body of <c>PUT /v1/sys/leases/renew</c> and <c>/revoke</c>: the lease id in Vault's form and, for a renewal, the
/// wanted <c>increment</c> (seconds as a number, or a duration string such as <c>"1h"</c>; null or absent: the secret's
/// default TTL). Fields Vault defines that pgrotate has no use for (<c>sync</c>) are ignored, as Vault ignores unknown ones.
/// </summary>
internal sealed record VaultLeaseRequest(string? LeaseId = null, JsonElement? Increment = null);

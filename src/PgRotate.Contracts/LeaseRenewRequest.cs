using System.Text.Json.Serialization;

namespace PgRotate.Contracts;

/// <summary>
/// The body of <c>POST /v1/leases/{id}/renew</c> (optional), the options of <c>pgrotate lease renew</c>. A field this
/// record does not have is refused.
/// </summary>
/// <param name="Ttl">Extend to now + this, e.g. <c>1h</c> (default: the secret's default TTL), never past the lease's maximum.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record LeaseRenewRequest(string? Ttl = null);

using System.Text.Json.Serialization;

namespace PgRotate.Contracts;

/// <summary>
/// The body of <c>POST /v1/leases</c>, the options of <c>pgrotate lease issue</c>. A field this record does not have is
/// refused, so a misspelt option is never silently ignored.
/// </summary>
/// <param name="Secret">The dynamic secret to take a lease of, e.g. <c>orders/app</c>.</param>
/// <param name="Ttl">How long the lease lives, e.g. <c>1h</c> (default: the secret's default TTL; longer than its maximum is cut to the maximum).</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record LeaseIssueRequest(string? Secret = null, string? Ttl = null);

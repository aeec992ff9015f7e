using System.Text.Json.Serialization;

namespace PgRotate.Contracts;

/// <summary>
/// The body of <c>POST /v1/secrets/{name}/rotate</c> (optional: no body rotates with the secret's own settings), the
/// options of <c>pgrotate rotate</c>. A field this record does not have is refused, so a misspelt option is never
/// silently ignored.
/// </summary>
/// <param name="Grace">This rotation's grace for the previous login, e.g. <c>10m</c>.</param>
/// <param name="RevokePrevious">The previous login stops working at once.</param>
/// <param name="Terminate">With <paramref name="RevokePrevious"/>: also end the sessions on the old credentials.</param>
/// <param name="Force">Rotate although the previous login is still inside its grace.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RotateRequest(string? Grace = null, bool RevokePrevious = false, bool Terminate = false, bool Force = false);

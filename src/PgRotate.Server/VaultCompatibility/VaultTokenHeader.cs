using Microsoft.AspNetCore.Http;

namespace PgRotate.Server.VaultCompatibility;

/// <summary>
/// Vault clients send their token as <c>X-Vault-Token: TOKEN</c> rather than <c>Authorization: Bearer TOKEN</c>; the
/// server takes either (Authorization first when both are sent).
/// </summary>
internal static class VaultTokenHeader
{
    public const string Name = "X-Vault-Token";

    /// <summary>The token in the header, or null when the request has none.</summary>
    public static string? Read(HttpRequest request) => request.Headers[Name].ToString() is { Length: > 0 } token ? token.Trim() : null;
}

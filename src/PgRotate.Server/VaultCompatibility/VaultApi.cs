using Microsoft.AspNetCore.Builder;

namespace PgRotate.Server.VaultCompatibility;

/// <summary>
/// The Vault-compatible paths, for the tools that already speak Vault's database secrets engine: the engine's
/// <c>creds</c> and <c>static-creds</c> under the mount, <c>sys/leases</c> renew and revoke, the token lookup, and
/// Vault's error shape on all of them. Off when <c>serve --no-vault</c>.
/// </summary>
internal static class VaultApi
{
    /// <summary>Vault's error shape: ahead of everything else that may answer an error (the path guard, the token check).</summary>
    public static void UseErrorShape(WebApplication app, string mount) => app.UseMiddleware<VaultErrorShape>(mount);

    public static void Map(WebApplication app, string mount)
    {
        VaultSecretEndpoints.Map(app, mount);
        VaultLeaseEndpoints.Map(app, mount);
        VaultTokenEndpoints.Map(app);
    }
}

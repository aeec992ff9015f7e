using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using PgRotate.Server.Auth;

namespace PgRotate.Server.VaultCompatibility;

/// <summary>
/// <c>GET /v1/auth/token/lookup-self</c>: the calling token in Vault's shape, which Vault clients ask for to check
/// that their token works (hvac's <c>is_authenticated</c>) and how long it lasts. Never the token itself (see
/// <see cref="VaultTokenData"/>).
/// </summary>
internal static class VaultTokenEndpoints
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/v1/auth/token/lookup-self", LookupSelf).RequireAuthorization().WithTags("vault")
            .WithSummary("Vault's token lookup: the calling token's name (as accessor), policies, ttl and expire_time; never the token");

    private static IResult LookupSelf(HttpContext http, TimeProvider time)
    {
        var token = Caller.Of(http).Token;
        var now = time.GetUtcNow();
        var ttl = token.ExpiresAt is { } end ? Math.Max(0, (long)(end - now).TotalSeconds) : 0;
        var creationTtl = token.ExpiresAt is { } last ? (long)(last - token.CreatedAt).TotalSeconds : 0;
        return VaultJson.Result(new VaultResponse<VaultTokenData>(
            VaultResponse<VaultTokenData>.NewRequestId(), "", Renewable: false, 0,
            new VaultTokenData(
                Accessor: token.Name,
                CreationTime: token.CreatedAt.ToUnixTimeSeconds(),
                CreationTtl: creationTtl,
                DisplayName: "token-" + token.Name,
                EntityId: "",
                ExpireTime: token.ExpiresAt,
                ExplicitMaxTtl: 0,
                Id: "",
                IssueTime: token.CreatedAt,
                Meta: null,
                NumUses: 0,
                Orphan: true,
                Path: "auth/token/create",
                Policies: [.. token.Policies.Select(p => p.ToString())],
                Renewable: false,
                Ttl: ttl,
                Type: "service")));
    }
}

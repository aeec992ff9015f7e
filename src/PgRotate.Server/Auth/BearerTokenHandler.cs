using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using PgRotate.Access;
using PgRotate.Server.ErrorHandling;
using PgRotate.Server.Metrics;
using PgRotate.Store;

namespace PgRotate.Server.Auth;

/// <summary>
/// <c>Authorization: Bearer pgr_…</c> (or Vault's <c>X-Vault-Token: pgr_…</c>), checked against the store, or against the <see cref="TokenCache"/> for a token
/// accepted within the last few seconds, so a token revoked by <c>pgrotate token revoke</c> (from any process) is
/// refused at the latest <see cref="ServerSettings.TokenCacheTime"/> after the revocation. A missing, malformed, unknown,
/// revoked or expired token gets the same 401 (the reason is counted in the metrics, not told); an address with too
/// many failures gets 429.
/// </summary>
internal sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logs,
    UrlEncoder encoder,
    ISecretStore store,
    TokenCache tokens,
    AuthFailureLimiter limiter,
    ServerMetrics metrics) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logs, encoder)
{
    public const string SchemeName = "Bearer";
    private const string RateLimitedItem = "pgrotate.rate-limited";
    private const string ResultItem = "pgrotate.authentication";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        // ASP.NET Core makes the only scheme the default and authenticates every request with it: an endpoint that
        // asks for no authorization (health, metrics, the OpenAPI document) does not look at tokens, and a request is
        // judged (and a failure counted) once however often its authentication is asked for.
        if (Context.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAuthorizeData>() is null)
        {
            return AuthenticateResult.NoResult();
        }

        if (Context.Items[ResultItem] is AuthenticateResult judged)
        {
            return judged;
        }

        var result = await JudgeAsync().ConfigureAwait(false);
        Context.Items[ResultItem] = result;
        return result;
    }

    private async Task<AuthenticateResult> JudgeAsync()
    {
        var address = Context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (limiter.IsBlocked(address))
        {
            Context.Items[RateLimitedItem] = true;
            metrics.AuthFailure("rate_limited");
            return AuthenticateResult.Fail("too many failed authentications from this address");
        }

        var header = Request.Headers.Authorization.ToString();
        string? presented = null;
        if (header.Length > 0)
        {
            presented = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : "";
        }

        presented ??= VaultCompatibility.VaultTokenHeader.Read(Request);

        var (check, access) = await tokens.CheckAsync(presented, Context.RequestAborted).ConfigureAwait(false);
        if (check is not { Verdict: TokenVerdict.Accepted, Token: { } token } || access is null)
        {
            limiter.RecordFailure(address);
            metrics.AuthFailure(check.Verdict.ToString().ToLowerInvariant());
            return AuthenticateResult.Fail("no valid bearer token");
        }

        var view = store.WithActor("token:" + token.Name);
        Context.Response.RegisterForDisposeAsync(view);
        new Caller(token, access, Context.Connection.RemoteIpAddress?.ToString(), view).Attach(Context);
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, token.Name)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items.ContainsKey(RateLimitedItem))
        {
            Response.Headers.RetryAfter = ((int)AuthFailureLimiter.RetryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return ApiErrors.WriteAsync(Context, StatusCodes.Status429TooManyRequests, ApiErrors.RateLimited,
                "too many failed authentications from this address; try again later");
        }

        Response.Headers[HeaderNames.WWWAuthenticate] = "Bearer";
        return ApiErrors.WriteAsync(Context, StatusCodes.Status401Unauthorized, ApiErrors.Unauthenticated,
            "a valid token is required: Authorization: Bearer pgr_… (see 'pgrotate token create')");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ApiErrors.WriteAsync(Context, StatusCodes.Status403Forbidden, ApiErrors.Forbidden, "this token may not do that");
}

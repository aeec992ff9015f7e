using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using PgRotate.Contracts;
using PgRotate.Errors;
using PgRotate.Leases;
using PgRotate.Secrets;
using PgRotate.Server.Auth;
using PgRotate.Wire;

namespace PgRotate.Server.Endpoints;

/// <summary>
/// <c>/v1/leases</c>: per-instance logins of dynamic secrets, as <c>pgrotate lease</c> handles them. Issuing answers the
/// credential with its password (the only answer here that has one); renewing, revoking and listing answer the lease
/// without it. Every operation needs <c>lease:PATTERN</c> (or <c>admin:PATTERN</c>) covering the lease's secret.
/// </summary>
internal static class LeaseEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var leases = app.MapGroup("/v1/leases").RequireAuthorization().WithTags("leases");
        leases.MapPost("/", IssueAsync)
            .WithSummary("Issue a lease of a dynamic secret: body {secret, ttl?}; 201 with the credential (password included), lease id, expiry and the latest time it can be renewed to")
            .Accepts<LeaseIssueRequest>("application/json")
            .Produces<LeaseCredential>(StatusCodes.Status201Created);
        leases.MapGet("/", ListAsync)
            .WithSummary("The leases this token may manage (?secret=NAME for one secret, ?all=true with ended ones): state, expiry, failed revocation attempts and the last error; never a password")
            .Produces<IReadOnlyList<LeaseSummary>>();
        leases.MapGet("/{id}", GetAsync)
            .WithSummary("One lease, without its password")
            .Produces<LeaseSummary>();
        leases.MapPost("/{id}/renew", RenewAsync)
            .WithSummary("Extend a lease (and its login's VALID UNTIL) to now + ttl (body {ttl?}; default the secret's default TTL), never past its maximum")
            .Accepts<LeaseRenewRequest>("application/json")
            .Produces<LeaseSummary>();
        leases.MapDelete("/{id}", RevokeAsync)
            .WithSummary("End a lease now: its sessions are ended, what its login owns goes to the group, then the login is dropped")
            .Produces<LeaseSummary>();
    }

    private static async Task<IResult> IssueAsync(HttpContext http, CallerLeases leases)
    {
        var body = await RequestBody.ReadAsync<LeaseIssueRequest>(http).ConfigureAwait(false)
            ?? throw PgRotateException.InvalidInput("the body names the dynamic secret to lease: {\"secret\": \"orders/app\", \"ttl\": \"1h\"}");
        if (body.Secret is null)
        {
            throw PgRotateException.InvalidInput("the body has no secret: {\"secret\": \"orders/app\", \"ttl\": \"1h\"}");
        }

        var issued = await leases.IssueAsync(Caller.Of(http), body.Secret, Ttl(body.Ttl), http.RequestAborted).ConfigureAwait(false);
        if (issued.Refused)
        {
            return issued.Refusal;
        }

        http.Response.Headers.Location = "/v1/leases/" + issued.Value.Lease.Id;
        http.Response.Headers.CacheControl = "no-store";
        return Results.Json(issued.Value.ToContract(), PgRotateJson.Options, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListAsync(HttpContext http, CallerLeases leases)
    {
        var query = http.Request.Query;
        var secret = query.ContainsKey("secret") ? SecretName.ParseSecret(query["secret"].ToString()) : null;
        var all = query["all"].ToString() switch
        {
            "" or "false" => false,
            "true" => true,
            var other => throw PgRotateException.InvalidInput($"all takes true or false, not {Postgres.Sql.Printable(other)}"),
        };
        var found = await leases.ListAsync(Caller.Of(http), secret, all, http.RequestAborted).ConfigureAwait(false);
        return Results.Json(found.Select(l => l.ToContract()).ToList(), PgRotateJson.Options);
    }

    private static async Task<IResult> GetAsync(HttpContext http, string id, CallerLeases leases) =>
        Answer(await leases.FindAsync(Caller.Of(http), id, http.RequestAborted).ConfigureAwait(false));

    private static async Task<IResult> RenewAsync(HttpContext http, string id, CallerLeases leases)
    {
        var body = await RequestBody.ReadAsync<LeaseRenewRequest>(http).ConfigureAwait(false) ?? new LeaseRenewRequest();
        return Answer(await leases.RenewAsync(Caller.Of(http), id, Ttl(body.Ttl), http.RequestAborted).ConfigureAwait(false));
    }

    private static async Task<IResult> RevokeAsync(HttpContext http, string id, CallerLeases leases) =>
        Answer(await leases.RevokeAsync(Caller.Of(http), id, http.RequestAborted).ConfigureAwait(false));

    private static IResult Answer(LeaseOutcome<Lease> outcome) =>
        outcome.Refused ? outcome.Refusal : Results.Json(outcome.Value.ToContract(), PgRotateJson.Options);

    private static TimeSpan? Ttl(string? text) => text is null ? null : LeaseIssuer.ParseTtl(text, "ttl");
}

using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using PgRotate.Contracts;
using PgRotate.Errors;
using PgRotate.Server.Auth;
using PgRotate.Server.ErrorHandling;
using PgRotate.Wire;

namespace PgRotate.Server.Endpoints;

/// <summary><c>GET /v1/audit?after=SEQUENCE&amp;limit=N</c>: the audit log, oldest first, for a token with <c>admin:*</c>.</summary>
internal static class AuditEndpoints
{
    private const int DefaultLimit = 100;
    private const int MaxLimit = 1000;

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/v1/audit", (Delegate)ListAsync).RequireAuthorization().WithTags("audit")
            .WithSummary("Audit entries after ?after= (default 0), at most ?limit= (default 100, at most 1000); needs admin:*")
            .Produces<IReadOnlyList<AuditEvent>>();

    private static async Task<IResult> ListAsync(HttpContext http)
    {
        var caller = Caller.Of(http);
        if (!caller.Access.IsAdministrator)
        {
            return ApiErrors.ForbiddenFor(caller.Token.Name, "read the audit log (it needs admin:*)");
        }

        var after = Number(http.Request.Query["after"].ToString(), "after", 0, long.MaxValue) ?? 0;
        var limit = (int)(Number(http.Request.Query["limit"].ToString(), "limit", 1, MaxLimit) ?? DefaultLimit);
        var entries = await caller.Store.Audit.ListAsync(after, limit, http.RequestAborted).ConfigureAwait(false);
        return Results.Json(
            entries.Select(e => e.ToContract()).ToList(),
            PgRotateJson.Options);
    }

    private static long? Number(string text, string name, long min, long max) =>
        text.Length == 0 ? null
        : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max ? n
        : throw PgRotateException.InvalidInput($"{name} takes a whole number from {min} to {max}, not {Postgres.Sql.Printable(text)}");
}

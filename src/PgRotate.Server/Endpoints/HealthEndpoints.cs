using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using PgRotate.Contracts;
using PgRotate.Postgres;
using PgRotate.Store;

namespace PgRotate.Server.Endpoints;

/// <summary>
/// <c>/healthz</c>: the store answers (503 otherwise). <c>/readyz</c>: every target answers too. Both without a token,
/// for load balancers and orchestrators; a problem's text goes to the log, not to the unauthenticated caller.
/// </summary>
internal static partial class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", HealthAsync).WithTags("health").WithSummary("The store is readable").Produces<HealthReport>().Produces<HealthReport>(StatusCodes.Status503ServiceUnavailable);
        app.MapGet("/readyz", ReadyAsync).WithTags("health").WithSummary("The store and every target are reachable").Produces<HealthReport>().Produces<HealthReport>(StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<IResult> HealthAsync(HttpContext http, ISecretStore store, ILoggerFactory logs)
    {
        try
        {
            await store.ListTargetsAsync(http.RequestAborted).ConfigureAwait(false);
            return Results.Json(new HealthReport("ok", null, []), PgRotateJson.Options);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Failing(logs.CreateLogger("PgRotate.Server.Health"), "store", PostgresErrors.Scrub(e.Message));
            return Results.Json(new HealthReport("failing", "the store cannot be read", []), PgRotateJson.Options, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static async Task<IResult> ReadyAsync(HttpContext http, ISecretStore store, TargetConnector connector, TimeProvider time, ILoggerFactory logs)
    {
        var logger = logs.CreateLogger("PgRotate.Server.Health");
        IReadOnlyList<Targets.Target> targets;
        try
        {
            targets = await store.ListTargetsAsync(http.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Failing(logger, "store", PostgresErrors.Scrub(e.Message));
            return Results.Json(new HealthReport("failing", "the store cannot be read", []), PgRotateJson.Options, statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        var operations = new TargetOperations(connector, time);
        var checks = await Task.WhenAll(targets.Select(async target =>
        {
            try
            {
                await operations.ServerVersionAsync(target, http.RequestAborted).ConfigureAwait(false);
                return new TargetHealth(target.Name, true, null);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Failing(logger, "target " + target.Name, PostgresErrors.Scrub(e.Message));
                return new TargetHealth(target.Name, false, "unreachable; the server's log has the details");
            }
        })).ConfigureAwait(false);
        var ready = checks.All(c => c.Reachable);
        return Results.Json(new HealthReport(ready ? "ok" : "failing", ready ? null : "a target cannot be reached", checks), PgRotateJson.Options,
            statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    [LoggerMessage(LogLevel.Warning, "health: {What} failing: {Problem}")]
    private static partial void Failing(ILogger logger, string what, string problem);
}

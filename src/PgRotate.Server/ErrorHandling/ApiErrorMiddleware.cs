using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using PgRotate.Errors;
using PgRotate.Postgres;

namespace PgRotate.Server.ErrorHandling;

/// <summary>
/// Turns whatever an endpoint throws into an <see cref="ApiErrors"/> response: pgrotate's errors by their code,
/// unreadable JSON and oversized bodies as the caller's mistake, anything else as a 500 whose body says nothing of
/// the cause (it is logged, scrubbed). A response already started is left as it is.
/// </summary>
internal sealed partial class ApiErrorMiddleware(RequestDelegate next, ILogger<ApiErrorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The caller went away: nobody to answer.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            var result = e switch
            {
                PgRotateException known => ApiErrors.From(known),
                BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => ApiErrors.Result(
                    StatusCodes.Status413PayloadTooLarge, ApiErrors.PayloadTooLarge, "the request body is larger than this server accepts"),
                BadHttpRequestException bad => ApiErrors.Result(bad.StatusCode, ErrorCode.InvalidInput.WireName(), "the request is malformed"),
                JsonException json => ApiErrors.InvalidInput($"the request body is not the JSON this endpoint takes: {Describe(json)}"),
                _ => null,
            };
            if (result is null)
            {
                Unexpected(logger, e.GetType().Name, PostgresErrors.Scrub(e.Message));
                result = ApiErrors.Result(StatusCodes.Status500InternalServerError, ApiErrors.Unexpected, "unexpected error; the server's log has the details");
            }

            context.Response.Clear();
            await result.ExecuteAsync(context).ConfigureAwait(false);
        }
    }

    /// <summary>System.Text.Json's message without its .NET type names: where the body went wrong.</summary>
    private static string Describe(JsonException e) =>
        e.Message.Contains("could not be mapped", StringComparison.Ordinal) ? $"it has a field this endpoint does not know ({e.Path})"
        : e.Path is { Length: > 1 } path ? $"the value at {path} is not valid"
        : "it is not valid JSON";

    [LoggerMessage(LogLevel.Error, "unexpected {Type}: {Message}")]
    private static partial void Unexpected(ILogger logger, string type, string message);
}

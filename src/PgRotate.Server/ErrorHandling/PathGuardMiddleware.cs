using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using PgRotate.Errors;

namespace PgRotate.Server.ErrorHandling;

/// <summary>
/// Refuses request paths that would mean something other than what they show once decoded or normalised: dot
/// segments (<c>/v1/secrets/orders/../admin</c>, which the server would otherwise collapse to another secret's path),
/// an encoded slash or backslash (<c>orders%2Fapp</c>), an encoded NUL, and encoded dots. Secret names never contain
/// any of them, so nothing legitimate is refused; the check runs on the path as it arrived, before routing.
/// </summary>
internal sealed class PathGuardMiddleware(RequestDelegate next)
{
    private static readonly string[] Refused = ["%2f", "%5c", "%00", "%2e", "\\"];

    public Task InvokeAsync(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "";
        var path = raw.Split('?', 2)[0];
        var segments = path.Split('/');
        return Refused.Any(r => path.Contains(r, StringComparison.OrdinalIgnoreCase)) || segments.Any(s => s is "." or "..")
            ? ApiErrors.WriteAsync(context, StatusCodes.Status400BadRequest, ErrorCode.InvalidInput.WireName(),
                "the request path holds a dot segment or an encoded '/', '\\', '.' or NUL; secret names are written as they are, e.g. /v1/secrets/orders/app")
            : next(context);
    }
}

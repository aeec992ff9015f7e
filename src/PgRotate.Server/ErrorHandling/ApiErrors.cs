using Microsoft.AspNetCore.Http;
using PgRotate.Contracts;
using PgRotate.Errors;

namespace PgRotate.Server.ErrorHandling;

/// <summary>
/// Every 4xx and 5xx the API answers is an <see cref="ErrorResponse"/>: a stable code and one line. pgrotate's own
/// failures keep their code (<c>not_found</c>, <c>rotation_in_progress</c> …); what only HTTP has (a missing token, a
/// policy that does not allow, too many failures, a body too large) has its own code here.
/// </summary>
internal static class ApiErrors
{
    public const string Unauthenticated = "unauthenticated";
    public const string Forbidden = "forbidden";
    public const string RateLimited = "rate_limited";
    public const string PayloadTooLarge = "payload_too_large";
    public const string NoSuchEndpoint = "no_such_endpoint";
    public const string Unexpected = "unexpected_error";

    public static int StatusFor(ErrorCode code) => code switch
    {
        ErrorCode.InvalidInput => StatusCodes.Status400BadRequest,
        ErrorCode.NotFound => StatusCodes.Status404NotFound,
        ErrorCode.AlreadyExists or ErrorCode.IncompatibleState or ErrorCode.RotationInProgress or ErrorCode.ClientsStillConnected => StatusCodes.Status409Conflict,
        // The target, not the caller, failed: the server stands between them, as a gateway does.
        ErrorCode.TargetUnreachable or ErrorCode.AuthenticationFailed or ErrorCode.PermissionDenied or ErrorCode.RotationFailed or ErrorCode.PostgresError => StatusCodes.Status502BadGateway,
        _ => StatusCodes.Status500InternalServerError,
    };

    public static IResult Result(int status, string code, string message) =>
        Results.Json(new ErrorResponse(new ErrorDetail(code, message)), PgRotateJson.Options, statusCode: status);

    public static IResult From(PgRotateException e) => Result(StatusFor(e.Code), e.Code.WireName(), OneLine(e.Message));

    public static Task WriteAsync(HttpContext context, int status, string code, string message) =>
        Result(status, code, message).ExecuteAsync(context);

    public static IResult InvalidInput(string message) => Result(StatusCodes.Status400BadRequest, ErrorCode.InvalidInput.WireName(), message);

    public static IResult ForbiddenFor(string tokenName, string what) =>
        Result(StatusCodes.Status403Forbidden, Forbidden, $"token {tokenName} may not {what}");

    private static string OneLine(string message) =>
        string.Join(' ', message.Split((char[])[' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
}

using System.Net;

namespace PgRotate.Client;

/// <summary>
/// A request to the pgrotate server failed: it could not be reached (<see cref="StatusCode"/> null), or it answered
/// with an error (<see cref="ErrorCode"/> from its <c>{"error": {"code", "message"}}</c> body). The message never holds
/// the token or a password.
/// </summary>
public sealed class PgRotateApiException : Exception
{
    public PgRotateApiException(string message, HttpStatusCode? statusCode = null, string? errorCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        ErrorCode = errorCode;
    }

    public PgRotateApiException()
    {
    }

    public PgRotateApiException(string message)
        : base(message)
    {
    }

    public PgRotateApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The HTTP status the server answered with; null when no answer came (unreachable, timed out, TLS refused).</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>pgrotate's stable error code (<c>unauthenticated</c>, <c>forbidden</c>, <c>not_found</c>, …), when the server gave one.</summary>
    public string? ErrorCode { get; }
}

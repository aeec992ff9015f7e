namespace PgRotate.Errors;

/// <summary>
/// An expected failure with a stable <see cref="ErrorCode"/> and a message that says what failed, on what, and what
/// to do. Messages never hold a password, verifier, key or full connection string.
/// </summary>
public sealed class PgRotateException : Exception
{
    public PgRotateException(ErrorCode code, string message, Exception? inner = null)
        : base(message, inner) => Code = code;

    public ErrorCode Code { get; }

    public static PgRotateException InvalidInput(string message) => new(ErrorCode.InvalidInput, message);
    public static PgRotateException NotFound(string message) => new(ErrorCode.NotFound, message);
}

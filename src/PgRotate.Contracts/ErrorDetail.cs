namespace PgRotate.Contracts;

/// <summary>The stable error code (snake_case) and one line for people; never a secret.</summary>
public sealed record ErrorDetail(string Code, string Message);

namespace PgRotate.Contracts;

/// <summary>A failure as written for machines: <c>{"error": {"code": "not_found", "message": "…"}}</c>.</summary>
public sealed record ErrorResponse(ErrorDetail Error);

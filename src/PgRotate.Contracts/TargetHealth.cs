namespace PgRotate.Contracts;

/// <summary>Whether the server could reach one target (<c>/readyz</c>), with the one-line reason when it could not.</summary>
public sealed record TargetHealth(string Name, bool Reachable, string? Problem);

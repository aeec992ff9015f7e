namespace PgRotate.Contracts;

/// <summary>What one rotation did: the new current login, and what became of the previous one.</summary>
public sealed record RotationResult(
    string Name,
    int Version,
    string Username,
    string? PreviousUsername,
    DateTimeOffset? PreviousValidUntil,
    bool PreviousRevoked,
    int SessionsEnded,
    bool Resumed,
    double ElapsedMs);

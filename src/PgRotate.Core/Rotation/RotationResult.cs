using PgRotate.Secrets;

namespace PgRotate.Rotation;

/// <summary>What one rotation did.</summary>
public sealed record RotationResult(
    string Secret,
    int Version,
    string Username,
    string? PreviousUsername,
    DateTimeOffset? PreviousValidUntil,
    bool Resumed,
    TimeSpan Elapsed)
{
    public Stage Stage => Stage.Current;
}

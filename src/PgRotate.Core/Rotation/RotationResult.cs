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
    internal Stage Stage => Stage.Current;

    /// <summary>True when the previous login was expired at once (<see cref="RotationRequest.RevokePrevious"/>).</summary>
    public bool PreviousRevoked { get; init; }

    /// <summary>How many sessions on an old credential were ended (<see cref="RotationRequest.TerminateSessions"/>).</summary>
    public int SessionsEnded { get; init; }
}

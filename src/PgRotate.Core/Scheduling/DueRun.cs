using PgRotate.Rotation;

namespace PgRotate.Scheduling;

/// <summary>What one <c>rotate --all-due</c> run did, secret by secret.</summary>
public sealed record DueRun(
    IReadOnlyList<string> GraceRepaired,
    IReadOnlyList<RotationResult> Rotated,
    IReadOnlyList<string> InProgress,
    IReadOnlyList<DueRun.Waiting> WaitingForGrace,
    IReadOnlyList<DueRun.Failure> Failed)
{
    /// <summary>A due secret left alone because its previous login is still inside its grace.</summary>
    public sealed record Waiting(string Secret, string Login, DateTimeOffset? Until);

    /// <summary>A secret whose rotation (or grace repair) failed; <paramref name="Error"/> may be of any type.</summary>
    public sealed record Failure(string Secret, Exception Error);
}

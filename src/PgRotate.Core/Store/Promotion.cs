namespace PgRotate.Store;

/// <summary>
/// Step "finish" of a rotation, done by the store in one transaction: version <see cref="PendingVersion"/> becomes
/// current; the current one becomes previous with <see cref="PreviousValidUntil"/> as its grace end (or retired, when
/// <see cref="KeepPrevious"/> is false: a single role changed in place, whose old password no longer works); the old
/// previous is retired; the secret's next rotation is <see cref="NextRotationAt"/>; and the history records
/// <see cref="Event"/> with <see cref="Detail"/> (which holds no secret value).
/// <para>
/// With <see cref="Owner"/> <see cref="VersionOwner.Target"/>, <see cref="Secret"/> names a target and the version is
/// its admin password: the same stage moves, and in the same transaction the version's password becomes the one the
/// target connects with; there is no next rotation to set.
/// </para>
/// </summary>
public sealed record Promotion(
    string Secret,
    int PendingVersion,
    DateTimeOffset? PreviousValidUntil,
    DateTimeOffset? NextRotationAt,
    string Detail,
    bool KeepPrevious = true,
    string Event = "rotated")
{
    /// <summary>Whose versions move: a secret's (the default) or a target's admin password.</summary>
    public VersionOwner Owner { get; init; } = VersionOwner.Secret;
}

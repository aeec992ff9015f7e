using PgRotate.Secrets;
using PgRotate.Targets;

namespace PgRotate.Store;

/// <summary>The stored facts a rotation starts from.</summary>
public sealed record RotationState(Secret Secret, Target Target, SecretVersion? Current, SecretVersion? Pending, int HighestVersion);

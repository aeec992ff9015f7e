namespace PgRotate.Rotation;

/// <summary>What <c>target rotate-admin</c> did: the admin user whose password changed and every target that now stores it.</summary>
public sealed record AdminRotationResult(string Username, IReadOnlyList<string> Targets);

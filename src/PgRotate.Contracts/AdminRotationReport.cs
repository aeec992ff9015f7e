namespace PgRotate.Contracts;

/// <summary>What <c>target rotate-admin</c> did: the admin user got a new password that every listed target now stores.</summary>
/// <param name="Target">The target named on the command line.</param>
/// <param name="Targets">Every target registered with the same server and admin user, which share the role and so the password.</param>
public sealed record AdminRotationReport(string Target, string Username, bool Rotated, IReadOnlyList<string> Targets);

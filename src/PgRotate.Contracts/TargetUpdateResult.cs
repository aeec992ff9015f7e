namespace PgRotate.Contracts;

/// <summary>A target as <c>target update</c> left it: never the admin password.</summary>
/// <param name="Address">host:port/database.</param>
/// <param name="Changed">What changed: <c>connection</c>, <c>admin password</c> or both.</param>
/// <param name="ServerVersion">The server's version as it reported it on the verifying login; null with --no-verify.</param>
public sealed record TargetUpdateResult(string Name, string Address, string Username, IReadOnlyList<string> Changed, string? ServerVersion);

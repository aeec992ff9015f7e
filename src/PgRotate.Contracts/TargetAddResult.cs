namespace PgRotate.Contracts;

/// <summary>A target <c>target add</c> registered: never the admin password.</summary>
/// <param name="Address">host:port/database.</param>
/// <param name="ServerVersion">The server's version as it reported it on the verifying login; null with --no-verify.</param>
public sealed record TargetAddResult(string Name, string Address, string Username, string? ServerVersion);

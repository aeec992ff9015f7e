namespace PgRotate.Store;

/// <summary>A previous version whose grace end (<c>VALID UNTIL</c> of its login) is stored but may not be on the server yet.</summary>
public sealed record UnappliedGrace(string Secret, int Version, string Username, DateTimeOffset ValidUntil);

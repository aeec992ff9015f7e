namespace PgRotate.Postgres;

/// <summary>One way a secret's roles differ from the pattern, with the statement that would mend it when there is one.</summary>
public sealed record Drift(string Secret, string Role, string Kind, string Message, string? Fix);

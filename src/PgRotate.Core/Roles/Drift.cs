using PgRotate.Postgres;

namespace PgRotate.Roles;

/// <summary>
/// One way a secret's roles differ from the pattern, with what would mend it when there is something: <see cref="Fix"/>
/// is an SQL statement to run on the target, <see cref="Command"/> a pgrotate command line.
/// </summary>
public sealed record Drift(string Secret, string Role, string Kind, string Message, string? Fix, string? Command = null);

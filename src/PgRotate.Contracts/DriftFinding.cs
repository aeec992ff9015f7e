namespace PgRotate.Contracts;

/// <summary>
/// One way a secret's roles differ from the pattern (<see cref="Kind"/> e.g. <c>missing_role</c>, <c>login_fails</c>),
/// with what would mend it when there is something: <see cref="Fix"/> is SQL for the target, <see cref="Command"/> a
/// pgrotate command line.
/// </summary>
public sealed record DriftFinding(string Secret, string Role, string Kind, string Message, string? Fix, string? Command);

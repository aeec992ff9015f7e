namespace PgRotate.Contracts;

/// <summary>What <c>secret remove</c> did (or would do with <see cref="DryRun"/>) on the target before forgetting the secret.</summary>
/// <param name="DroppedLogins">The logins dropped with --drop-roles; empty without it.</param>
/// <param name="TerminatedSessions">How many sessions of those logins were ended.</param>
/// <param name="Statements">The statements run (or that would run) on the target.</param>
public sealed record SecretRemoveResult(
    string Name,
    string Target,
    bool DryRun,
    IReadOnlyList<string> DroppedLogins,
    int TerminatedSessions,
    IReadOnlyList<string> Statements);

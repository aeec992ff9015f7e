namespace PgRotate.Contracts;

/// <summary>A target <c>target remove</c> forgot, with the secrets removed with it (--force).</summary>
public sealed record TargetRemoveResult(string Name, IReadOnlyList<string> RemovedSecrets);

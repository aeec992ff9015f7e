namespace PgRotate.Contracts;

/// <summary><c>/healthz</c> and <c>/readyz</c>: <c>ok</c> or <c>failing</c>, and for readiness each target's state.</summary>
public sealed record HealthReport(string Status, string? Problem, IReadOnlyList<TargetHealth> Targets);

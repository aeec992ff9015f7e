namespace PgRotate.Contracts;

/// <summary>What <c>pgrotate check</c> found: how many secrets it examined and every drift among them (empty: none).</summary>
public sealed record DriftReport(int SecretsChecked, IReadOnlyList<DriftFinding> Drift);

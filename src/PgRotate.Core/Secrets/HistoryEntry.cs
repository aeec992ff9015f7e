namespace PgRotate.Secrets;

/// <summary>One thing that happened to a secret (created, rotated, failed, adopted …), newest last.</summary>
public sealed record HistoryEntry(long Id, string Secret, int? Version, string Event, string? Detail, DateTimeOffset At)
{
    /// <summary>Who caused it (e.g. <c>cli:alice</c>); null for entries recorded before the actor was kept.</summary>
    public string? Actor { get; init; }
}

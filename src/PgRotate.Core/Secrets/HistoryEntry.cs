namespace PgRotate.Secrets;

/// <summary>One thing that happened to a secret (created, rotated, failed, adopted …), newest last.</summary>
public sealed record HistoryEntry(long Id, string Secret, int? Version, string Event, string? Detail, DateTimeOffset At);

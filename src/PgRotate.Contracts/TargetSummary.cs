namespace PgRotate.Contracts;

/// <summary>A registered PostgreSQL server as <c>target list</c> shows it: never the admin password.</summary>
public sealed record TargetSummary(string Name, string Host, int Port, string Database, string Username);

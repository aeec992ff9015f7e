namespace PgRotate.Contracts;

/// <summary>An existing role that <c>secret add</c> takes over, and what it does to it (e.g. gives it a password).</summary>
public sealed record AdoptedRole(string Role, string Change);

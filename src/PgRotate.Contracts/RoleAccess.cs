namespace PgRotate.Contracts;

/// <summary>One role a target's secrets use, as <c>target check</c> found it.</summary>
/// <param name="HasAdminOption">Whether the admin holds the ADMIN option on the role (needed on PostgreSQL 16+ to change it).</param>
/// <param name="CanConnect">For a group: whether its logins can connect to the target's database; null for other roles.</param>
public sealed record RoleAccess(string Name, bool Exists, bool HasAdminOption, bool? CanConnect);

using PgRotate.Postgres;

namespace PgRotate.Roles;

/// <summary>
/// One role a target's secrets use, whether it exists, whether the rotator holds the ADMIN option on it, and for a
/// group whether its logins can connect to the target's database (null for roles that are not groups).
/// </summary>
public sealed record ManagedRoleAccess(string Name, bool Exists, bool HasAdminOption, bool? CanConnect);

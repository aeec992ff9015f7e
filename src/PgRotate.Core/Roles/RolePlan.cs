using PgRotate.Postgres;

namespace PgRotate.Roles;

/// <summary>
/// What <c>secret add</c> would do to a target's roles: the statements to run, in order, and the existing roles those
/// statements take over. An empty plan means the roles are already right.
/// </summary>
internal sealed record RolePlan(IReadOnlyList<RoleStatement> Statements, IReadOnlyList<RoleAdoption> Adoptions);

using PgRotate.Postgres;

namespace PgRotate.Roles;

/// <summary>
/// A role that existed before pgrotate and would get a password, LOGIN, a membership or a role setting from it:
/// another application may be using it, so pgrotate takes it over only when asked (<c>--adopt</c>).
/// </summary>
/// <param name="Role">The existing role.</param>
/// <param name="Change">What pgrotate would do to it, e.g. "gets a new password".</param>
public sealed record RoleAdoption(string Role, string Change);

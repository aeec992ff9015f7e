using PgRotate.Postgres;
using PgRotate.Scheduling;

namespace PgRotate.Secrets;

/// <summary>
/// A named credential on a target. For <see cref="Strategy.Alternating"/> the group role owns the data and
/// <see cref="LoginA"/>/<see cref="LoginB"/> take turns; for <see cref="Strategy.Single"/> the group role is itself the
/// login and <see cref="LoginB"/> is null.
/// </summary>
public sealed record Secret(
    string Name,
    string Target,
    Strategy Strategy,
    RoleName Group,
    RoleName LoginA,
    RoleName? LoginB,
    Schedule? Schedule,
    TimeSpan? Grace,
    string? CheckSql,
    Adoption Adoption,
    DateTimeOffset CreatedAt,
    DateTimeOffset? NextRotationAt)
{
    public IEnumerable<RoleName> Logins => LoginB is { } b ? [LoginA, b] : [LoginA];

    /// <summary>True when the settings that shape the roles are the same (used to make <c>secret add</c> idempotent).</summary>
    internal bool SameShapeAs(Secret other) =>
        Target == other.Target && Strategy == other.Strategy && Group == other.Group && LoginA == other.LoginA &&
        LoginB == other.LoginB && Equals(Schedule, other.Schedule) && Grace == other.Grace &&
        CheckSql == other.CheckSql;
}

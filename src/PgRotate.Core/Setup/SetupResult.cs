using PgRotate.Postgres;
using PgRotate.Roles;
using PgRotate.Secrets;

namespace PgRotate.Setup;

/// <summary>
/// The outcome of <c>secret add</c>: the statements it ran (or would run, for a dry run) and whether the store changed.
/// No statements and nothing stored means the secret and its roles were already as asked. <see cref="Adoptions"/> are
/// the existing roles the statements take over; <see cref="RequiresAdopt"/> says a dry run found some without --adopt.
/// </summary>
public sealed record SetupResult(
    Secret Secret,
    IReadOnlyList<RoleStatement> Statements,
    bool DryRun,
    bool Stored,
    string? CurrentLogin,
    IReadOnlyList<RoleAdoption>? Adoptions = null,
    bool RequiresAdopt = false);

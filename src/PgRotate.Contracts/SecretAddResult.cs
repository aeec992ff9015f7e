namespace PgRotate.Contracts;

/// <summary>
/// What <c>secret add</c> did, or would do with <see cref="DryRun"/>: the role statements (as run, never a password),
/// whether anything changed, the login clients use now, and the existing roles it takes over.
/// </summary>
/// <param name="Changed">False when the secret and its roles were already as asked: nothing ran and nothing was stored.</param>
/// <param name="CurrentLogin">The login of the current credential; null on a dry run.</param>
/// <param name="Adopts">Existing roles the statements take over, and what happens to each.</param>
/// <param name="RequiresAdopt">True when a dry run found roles to take over and --adopt was not given.</param>
public sealed record SecretAddResult(
    string Name,
    string Target,
    RotationStrategy Strategy,
    string Group,
    IReadOnlyList<string> Logins,
    bool DryRun,
    bool Changed,
    string? CurrentLogin,
    IReadOnlyList<string> Statements,
    IReadOnlyList<AdoptedRole> Adopts,
    bool RequiresAdopt);

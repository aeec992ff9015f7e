namespace PgRotate.Postgres;

/// <summary>
/// One statement pgrotate will run against a target. <see cref="Display"/> is what --dry-run and logs show: the same
/// text with any SCRAM verifier replaced, since a verifier allows offline guessing and server impersonation.
/// </summary>
public sealed record RoleStatement(string Text, string Display)
{
    internal static RoleStatement Plain(string text) => new(text, text);

    public override string ToString() => Display;
}

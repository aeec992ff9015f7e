using PgRotate.Secrets;

namespace PgRotate.Server.Endpoints;

/// <summary>
/// What follows <c>/v1/secrets/</c>: a secret name, which has '/' in it (<c>orders/app</c>), then possibly an action
/// (<c>/history</c>, <c>/rotate</c>). Names are written as they are, never encoded; the last segment is the action when
/// it is one, so the credential of a secret whose last part is <c>history</c> or <c>rotate</c> (<c>x/history</c>)
/// cannot be read through the API: name secrets otherwise.
/// </summary>
internal sealed record SecretPath(string Name, string? Action)
{
    public const string History = "history";
    public const string Rotate = "rotate";

    /// <summary>Splits off a trailing action; the name must be a valid secret name (else <c>invalid_input</c>).</summary>
    public static SecretPath Parse(string path, params string[] actions)
    {
        foreach (var action in actions)
        {
            if (path.EndsWith("/" + action, StringComparison.Ordinal))
            {
                return new SecretPath(SecretName.ParseSecret(path[..^(action.Length + 1)]), action);
            }
        }

        return new SecretPath(SecretName.ParseSecret(path), null);
    }
}

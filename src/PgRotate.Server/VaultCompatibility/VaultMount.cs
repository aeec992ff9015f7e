using System.Text.RegularExpressions;
using PgRotate.Errors;
using PgRotate.Postgres;

namespace PgRotate.Server.VaultCompatibility;

/// <summary>
/// Where the Vault-compatible database paths live, as <c>serve --vault-mount</c> names it: <c>database</c> serves
/// <c>/v1/database/creds/…</c>, the path Vault's database secrets engine has when mounted at its default. One or more
/// segments of letters, digits, '_', '-' and '.', separated by '/'. The first segment may not be one the API already uses
/// (<c>secrets</c>, <c>leases</c>, <c>audit</c>) or that Vault reserves for its own paths (<c>sys</c>, <c>auth</c>).
/// </summary>
public static partial class VaultMount
{
    public const string Default = "database";

    private static readonly string[] Reserved = ["secrets", "leases", "audit", "sys", "auth"];

    /// <summary>The mount without surrounding slashes; <c>invalid_input</c> for anything else.</summary>
    public static string Parse(string? text)
    {
        var mount = (text ?? "").Trim('/');
        if (!Syntax().IsMatch(mount) || mount.Split('/').Any(s => s is "." or ".."))
        {
            throw PgRotateException.InvalidInput(
                $"--vault-mount {Sql.Printable(text ?? "")} is not a mount path: letters, digits, '_', '-' and '.', with '/' between parts (e.g. database or db/prod)");
        }

        var first = mount.Split('/')[0];
        return Reserved.Contains(first, StringComparer.OrdinalIgnoreCase)
            ? throw PgRotateException.InvalidInput($"--vault-mount {Sql.Printable(mount)} would shadow /v1/{first}/, which the API or Vault's own paths use; choose another name")
            : mount;
    }

    [GeneratedRegex(@"\A[A-Za-z0-9_.-]{1,64}(/[A-Za-z0-9_.-]{1,64}){0,7}\z")]
    private static partial Regex Syntax();
}

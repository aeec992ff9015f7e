using System.Text.RegularExpressions;
using PgRotate.Errors;
using PgRotate.Postgres;

namespace PgRotate.Access;

/// <summary>
/// One grant of a token, written <c>capability:pattern</c>: <c>read:orders/*</c>, <c>rotate:orders/app</c>,
/// <c>admin:*</c>. In the pattern, <c>*</c> stands for any run of characters, '/' included, so <c>orders/*</c> covers
/// every secret under <c>orders/</c> at any depth; everything else must match exactly.
/// </summary>
public sealed partial record TokenPolicy(Capability Capability, string Pattern)
{
    /// <summary>The pattern that covers every secret; <c>admin:*</c> is what the audit log asks for.</summary>
    public const string Everything = "*";

    public static TokenPolicy Parse(string? text)
    {
        var separator = text?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (text is null || separator < 0)
        {
            throw PgRotateException.InvalidInput($"policy {Sql.Printable(text ?? "")} is not capability:pattern, e.g. read:orders/* or rotate:orders/app");
        }

        var capability = CapabilityNames.Parse(text[..separator])
            ?? throw PgRotateException.InvalidInput($"policy {Sql.Printable(text)} names the capability {Sql.Printable(text[..separator])}; the capabilities are read, rotate, lease and admin");
        var pattern = text[(separator + 1)..];
        if (pattern.Length is 0 or > Secrets.SecretName.MaxLength || !PatternSyntax().IsMatch(pattern))
        {
            throw PgRotateException.InvalidInput(
                $"policy {Sql.Printable(text)} has the pattern {Sql.Printable(pattern)}: use the characters of secret names (lowercase letters, digits, '.', '_', '-', '/') and '*' for any run of them");
        }

        return new TokenPolicy(capability, pattern);
    }

    /// <summary>Whether this grant lets its holder do <paramref name="wanted"/> to <paramref name="secret"/>.</summary>
    internal bool Allows(Capability wanted, string secret) =>
        (Capability == wanted || Capability == Capability.Admin) && Matches(Pattern, secret);

    public override string ToString() => $"{Capability.WireName()}:{Pattern}";

    /// <summary>Glob match with '*' only, without a regular expression built from user text (no backtracking blow-up).</summary>
    private static bool Matches(string pattern, string name)
    {
        int p = 0, n = 0, star = -1, resume = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = n;
            }
            else if (p < pattern.Length && pattern[p] == name[n])
            {
                p++;
                n++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                n = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    [GeneratedRegex(@"\A[a-z0-9._/*-]+\z")]
    private static partial Regex PatternSyntax();
}

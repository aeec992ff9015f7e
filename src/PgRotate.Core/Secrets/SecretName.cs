using System.Text.RegularExpressions;
using PgRotate.Errors;
using PgRotate.Postgres;

namespace PgRotate.Secrets;

/// <summary>Names of secrets (<c>orders/app</c>) and targets (<c>orders-db</c>): lowercase path segments.</summary>
public static partial class SecretName
{
    public const int MaxLength = 128;

    public static string ParseSecret(string? text) => Parse(text, "secret name", SecretPattern());

    public static string ParseTarget(string? text) => Parse(text, "target name", TargetPattern());

    private static string Parse(string? text, string what, Regex pattern)
    {
        if (string.IsNullOrEmpty(text))
        {
            throw PgRotateException.InvalidInput($"{what} is empty");
        }

        if (text.Length > MaxLength || !pattern.IsMatch(text))
        {
            throw PgRotateException.InvalidInput(
                $"{what} {Sql.Printable(text)} is not allowed: use lowercase letters, digits, '.', '_' and '-'" +
                (pattern == SecretPattern() ? ", with '/' between parts" : "") + $", at most {MaxLength} characters");
        }

        return text;
    }

    // \z, not $: $ also matches before a final newline, which would let "orders/app\n" through as a name.
    [GeneratedRegex(@"\A[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*\z")]
    private static partial Regex SecretPattern();

    [GeneratedRegex(@"\A[a-z0-9][a-z0-9._-]*\z")]
    private static partial Regex TargetPattern();
}

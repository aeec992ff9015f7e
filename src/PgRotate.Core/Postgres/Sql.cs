using System.Text;

namespace PgRotate.Postgres;

/// <summary>
/// The one place SQL text is assembled from names and values. Identifiers are always double-quoted with embedded
/// quotes doubled; literals appear only where PostgreSQL takes no bind parameter (utility statements such as
/// ALTER ROLE), single-quoted with embedded quotes doubled.
/// </summary>
public static class Sql
{
    public static string Identifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>
    /// A string literal for a utility statement. Refuses backslashes and control characters so that the result means
    /// the same whatever <c>standard_conforming_strings</c> says.
    /// </summary>
    internal static string Literal(string value)
    {
        if (value.Any(c => c == '\\' || char.IsControl(c)))
        {
            throw new ArgumentException("literal holds a backslash or control character", nameof(value));
        }

        return "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
    }

    /// <summary>Renders user input for an error message: quoted, with control and non-ASCII characters escaped.</summary>
    public static string Printable(string text)
    {
        var builder = new StringBuilder("'");
        foreach (var c in text.Length > 80 ? text[..80] + "…" : text)
        {
            builder.Append(c is >= ' ' and <= '~' or '…' ? c.ToString() : $"\\u{(int)c:x4}");
        }

        return builder.Append('\'').ToString();
    }
}

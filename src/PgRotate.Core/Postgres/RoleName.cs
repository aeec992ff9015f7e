using System.Collections.Frozen;
using System.Text;
using PgRotate.Errors;

namespace PgRotate.Postgres;

/// <summary>
/// A PostgreSQL role name that pgrotate will manage: ASCII letters, digits and underscores, starting with a letter or
/// underscore, at most 63 bytes (NAMEDATALEN - 1; longer names are silently truncated by the server, which would make
/// two different names the same role). Stricter than PostgreSQL on purpose: such names are safe in connection strings,
/// .pgpass, URLs and shell scripts, and a typo cannot become SQL. Every use is still quoted.
/// </summary>
public readonly record struct RoleName
{
    public const int MaxBytes = 63;

    /// <summary>
    /// Names PostgreSQL gives a meaning of their own where a role is expected (all roles, no role, the calling role).
    /// Compared without case: unquoted, they match in any spelling.
    /// </summary>
    private static readonly FrozenSet<string> ReservedNames =
        new[] { "public", "none", "current_user", "session_user", "current_role" }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    private RoleName(string value) => Value = value;

    public string Value { get; }

    /// <summary>The name quoted as an SQL identifier.</summary>
    internal string Quoted => Sql.Identifier(Value);

    public static RoleName Parse(string? text, string what = "role name", int maxBytes = MaxBytes)
    {
        if (string.IsNullOrEmpty(text))
        {
            throw PgRotateException.InvalidInput($"{what} is empty");
        }

        var shown = Sql.Printable(text);
        if (Encoding.UTF8.GetByteCount(text) > maxBytes)
        {
            throw PgRotateException.InvalidInput($"{what} {shown} is longer than {maxBytes} bytes; PostgreSQL would truncate it");
        }

        var valid = (char.IsAsciiLetter(text[0]) || text[0] == '_') && text.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
        if (!valid)
        {
            throw PgRotateException.InvalidInput(
                $"{what} {shown} is not allowed: use ASCII letters, digits and underscores, starting with a letter or underscore");
        }

        if (text.StartsWith("pg_", StringComparison.OrdinalIgnoreCase))
        {
            throw PgRotateException.InvalidInput($"{what} {shown} is reserved: role names starting with pg_ belong to PostgreSQL");
        }

        if (ReservedNames.Contains(text))
        {
            throw PgRotateException.InvalidInput(
                $"{what} {shown} is reserved: PostgreSQL reads it as a keyword (PUBLIC, NONE, CURRENT_USER, SESSION_USER, CURRENT_ROLE), not as a role");
        }

        return new RoleName(text);
    }

    public override string ToString() => Value;
}

using System.Collections.Frozen;
using System.Text;
using PgRotate.Errors;

namespace PgRotate.Postgres;

/// <summary>
/// A setting a role carries (<c>ALTER ROLE … [IN DATABASE …] SET name = value</c>), as pg_db_role_setting keeps it:
/// <c>name=value</c>, with <see cref="Database"/> null for one that applies in every database. PostgreSQL applies a
/// role's settings only to sessions that log in as that role, never to a role taken on with SET ROLE, so a setting on
/// an adopted application role must be copied to the logins that replace it.
/// </summary>
internal sealed record RoleSetting(string? Database, string Name, string Value)
{
    /// <summary>
    /// Settings whose value is a list of names, stored with each element quoted as an identifier where needed
    /// (<c>search_path=app, "My Schema"</c>). Written back as one literal, the whole list would become a single
    /// element, so they are split and given one literal per element; PostgreSQL's own pg_dump does the same with the
    /// same list of names.
    /// </summary>
    private static readonly FrozenSet<string> ListSettings = new[]
    {
        "local_preload_libraries", "search_path", "session_preload_libraries", "shared_preload_libraries", "temp_tablespaces", "unix_socket_directories",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>A pg_db_role_setting.setconfig entry, <c>name=value</c>.</summary>
    internal static RoleSetting FromCatalog(string? database, string entry)
    {
        var equals = entry.IndexOf('=', StringComparison.Ordinal);
        return equals < 0 ? new RoleSetting(database, entry, "") : new RoleSetting(database, entry[..equals], entry[(equals + 1)..]);
    }

    /// <summary>The login-time <c>role</c> setting, which is the pattern's own business, not the application's.</summary>
    internal bool IsRole => Name.Equals("role", StringComparison.OrdinalIgnoreCase);

    internal bool IsList => ListSettings.Contains(Name);

    /// <summary>
    /// The elements of a list setting's stored value, unquoted: elements are separated by commas, and one in double
    /// quotes may hold anything, with <c>""</c> for a quote. Null when the value does not parse as such a list.
    /// </summary>
    internal IReadOnlyList<string>? ListElements()
    {
        var elements = new List<string>();
        var i = 0;
        var text = Value;
        SkipSpace();
        if (i == text.Length)
        {
            return elements;
        }

        while (true)
        {
            var element = new StringBuilder();
            if (text[i] == '"')
            {
                for (i++; ; i++)
                {
                    if (i == text.Length)
                    {
                        return null;
                    }

                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            element.Append('"');
                            i++;
                            continue;
                        }

                        i++;
                        break;
                    }

                    element.Append(text[i]);
                }
            }
            else
            {
                while (i < text.Length && text[i] != ',' && !char.IsWhiteSpace(text[i]))
                {
                    element.Append(text[i++]);
                }
            }

            if (element.Length == 0)
            {
                return null;
            }

            elements.Add(element.ToString());
            SkipSpace();
            if (i == text.Length)
            {
                return elements;
            }

            if (text[i] != ',')
            {
                return null;
            }

            i++;
            SkipSpace();
        }

        void SkipSpace()
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }
        }
    }

    /// <summary>Renders <c>name = value</c> for <c>ALTER ROLE … SET</c>: the name quoted part by part, the value as literals.</summary>
    internal string SetClause()
    {
        var parts = Name.Split('.');
        if (parts.Any(p => p.Length == 0 || !(char.IsAsciiLetter(p[0]) || p[0] == '_') || !p.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '$')))
        {
            throw Uncopyable("its name is not a plain setting name");
        }

        string value;
        try
        {
            value = IsList
                ? string.Join(", ", (ListElements() ?? throw Uncopyable("its value is not a list of names")).Select(Sql.Literal))
                : Sql.Literal(Value);
        }
        catch (ArgumentException)
        {
            throw Uncopyable("its value holds a backslash or a control character");
        }

        // An empty list (search_path = '') is stored as an empty value and set back the same way.
        return $"{string.Join(".", parts.Select(Sql.Identifier))} = {(value.Length == 0 ? "''" : value)}";
    }

    public override string ToString() => Database is null ? $"{Name}={Value}" : $"{Name}={Value} (in database {Database})";

    private PgRotateException Uncopyable(string why) =>
        new(ErrorCode.IncompatibleState, $"setting {Sql.Printable(Name)} cannot be copied safely: {why}; copy it to the login roles by hand");
}

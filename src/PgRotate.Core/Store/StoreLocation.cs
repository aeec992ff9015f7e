using PgRotate.Errors;

namespace PgRotate.Store;

/// <summary>Which kind of store a <c>--store</c> / <c>PGROTATE_STORE</c> value names.</summary>
public enum StoreKind
{
    /// <summary>An SQLite file (the default): the value is a path.</summary>
    Sqlite,

    /// <summary>A PostgreSQL database: the value is an Npgsql key=value connection string or a postgresql:// URI.</summary>
    Postgres,
}

/// <summary>
/// What <c>--store</c> points at, decided in this one place: a <c>postgresql://</c> or <c>postgres://</c> URI, or
/// key=value pairs naming a Host, is a PostgreSQL store; anything else is the path of an SQLite file.
/// </summary>
/// <param name="Value">The path (made absolute by the caller) or the connection string as given; may hold a password, so never printed as it is.</param>
public sealed record StoreLocation(StoreKind Kind, string Value)
{
    public static StoreLocation Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw PgRotateException.InvalidInput("the store location is empty; give a file path or a PostgreSQL connection string");
        }

        return LooksLikePostgres(text) ? new StoreLocation(StoreKind.Postgres, text) : new StoreLocation(StoreKind.Sqlite, text);
    }

    private static bool LooksLikePostgres(string text)
    {
        if (text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        // "Host=db;Database=pgrotate": a file path has no '=' before its first ';' as a rule, and none names a Host key.
        return text.Contains('=', StringComparison.Ordinal) && text.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Any(part => part.Split('=', 2)[0].Trim() is var key && (key.Equals("Host", StringComparison.OrdinalIgnoreCase) || key.Equals("Server", StringComparison.OrdinalIgnoreCase)));
    }
}

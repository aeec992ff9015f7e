using PgRotate.Postgres;

namespace PgRotate.Store.Postgres;

/// <summary>The store's tables, qualified with its quoted schema, so no statement depends on the session's search_path.</summary>
internal sealed class StoreTables(string schema)
{
    public string Meta { get; } = Qualified(schema, "meta");
    public string Targets { get; } = Qualified(schema, "targets");
    public string Secrets { get; } = Qualified(schema, "secrets");
    public string Versions { get; } = Qualified(schema, "versions");
    public string History { get; } = Qualified(schema, "history");

    private static string Qualified(string schema, string table) => Sql.Identifier(schema) + "." + Sql.Identifier(table);
}

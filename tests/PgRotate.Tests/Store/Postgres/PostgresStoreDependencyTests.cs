using PgRotate.Store;
using PgRotate.Store.Postgres;

namespace PgRotate.Tests.Store.Postgres;

/// <summary>The PostgreSQL store's project references the core and Npgsql, and nothing of SQLite or the other pgrotate projects.</summary>
public sealed class PostgresStoreDependencyTests
{
    [Fact]
    public void The_postgres_store_references_the_core_and_npgsql_only()
    {
        var references = typeof(PostgresSecretStore).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        Assert.Equal([typeof(ISecretStore).Assembly.GetName().Name!],
            references.Where(name => name.StartsWith("PgRotate", StringComparison.Ordinal) || name == "pgrotate"));
        Assert.Contains("Npgsql", references);
        Assert.DoesNotContain(references, name => name.Contains("Sqlite", StringComparison.OrdinalIgnoreCase));
    }
}

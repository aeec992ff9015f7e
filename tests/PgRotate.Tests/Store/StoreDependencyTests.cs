using PgRotate.Store;
using PgRotate.Store.Sqlite;

namespace PgRotate.Tests.Store;

/// <summary>The core knows stores only by their interfaces: SQLite lives in its own project, which the core never references.</summary>
public sealed class StoreDependencyTests
{
    [Fact]
    public void The_core_references_neither_sqlite_nor_a_store_implementation()
    {
        var references = typeof(ISecretStore).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();

        Assert.DoesNotContain(references, name => name!.Contains("Sqlite", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(references, name => name!.StartsWith("PgRotate.Store", StringComparison.Ordinal));
    }

    [Fact]
    public void The_sqlite_store_references_the_core_and_no_other_pgrotate_project()
    {
        var pgrotate = typeof(SqliteSecretStore).Assembly.GetReferencedAssemblies()
            .Select(a => a.Name!).Where(name => name.StartsWith("PgRotate", StringComparison.Ordinal) || name == "pgrotate");

        Assert.Equal([typeof(ISecretStore).Assembly.GetName().Name!], pgrotate);
    }
}

using PgRotate.Errors;
using PgRotate.Store;

namespace PgRotate.Tests.Store;

/// <summary>What --store names: a PostgreSQL connection string or URI is a PostgreSQL store, anything else a file path.</summary>
public sealed class StoreLocationTests
{
    [Theory]
    [InlineData("Host=db.internal;Database=pgrotate;Username=rotator")]
    [InlineData("host=db.internal; database=pgrotate")]
    [InlineData("Server=db.internal;Database=pgrotate")]
    [InlineData("postgresql://rotator@db.internal:5432/pgrotate")]
    [InlineData("postgres://db.internal/pgrotate")]
    [InlineData("POSTGRESQL://db.internal/pgrotate")]
    public void A_connection_string_or_uri_names_a_postgres_store(string text)
    {
        var location = StoreLocation.Parse(text);

        Assert.Equal((StoreKind.Postgres, text), (location.Kind, location.Value));
    }

    [Theory]
    [InlineData("pgrotate.db")]
    [InlineData("/var/lib/pgrotate/store.db")]
    [InlineData("stores/a=b.db")]
    [InlineData("./Host")]
    public void Anything_else_names_an_sqlite_file(string text)
    {
        var location = StoreLocation.Parse(text);

        Assert.Equal((StoreKind.Sqlite, text), (location.Kind, location.Value));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void An_empty_location_is_bad_input(string text)
    {
        Assert.Equal(ErrorCode.InvalidInput, Assert.Throws<PgRotateException>(() => StoreLocation.Parse(text)).Code);
    }
}

using PgRotate.Cli.Commands.Agent;
using PgRotate.Contracts;
using PgRotate.Errors;

namespace PgRotate.Tests.Agent;

/// <summary>The [databases] line in pgbouncer's own quoting, and the values that would break out of it refused.</summary>
public sealed class PgBouncerDatabaseRendererTests
{
    private static Credential Credential(string password = "Abc123", string database = "orders") =>
        new("orders/app", "orders_b", password, "db.internal", 5432, database, 7, CredentialStage.Current, null, null, "verify-full", null, null);

    [Fact]
    public void Plain_values_are_written_bare()
    {
        Assert.Equal("orders = host=db.internal port=5432 dbname=orders user=orders_b password=Abc123\n",
            new PgBouncerDatabaseRenderer("orders").Render(Credential()));
    }

    [Fact]
    public void Values_with_spaces_or_quotes_are_single_quoted_with_the_quote_doubled()
    {
        Assert.Equal("orders = host=db.internal port=5432 dbname='my db' user=orders_b password='a b''c\\d'\n",
            new PgBouncerDatabaseRenderer("orders").Render(Credential("a b'c\\d", "my db")));
    }

    [Fact]
    public void A_line_break_in_a_value_is_refused_rather_than_written_as_another_setting()
    {
        var e = Assert.Throws<PgRotateException>(() => new PgBouncerDatabaseRenderer("orders").Render(Credential("x\nauth_type = trust")));
        Assert.DoesNotContain("auth_type", e.Message);
    }

    [Theory]
    [InlineData("bad alias")]
    [InlineData("x=y")]
    [InlineData("")]
    public void An_alias_pgbouncer_would_read_otherwise_is_refused(string alias)
    {
        Assert.Equal(ErrorCode.InvalidInput, Assert.Throws<PgRotateException>(() => new PgBouncerDatabaseRenderer(alias)).Code);
    }
}

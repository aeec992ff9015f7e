using PgRotate.Access;
using PgRotate.Errors;

namespace PgRotate.Tests.Server;

/// <summary>Policies: <c>capability:pattern</c>, '*' for any run of characters ('/' included), admin implying the rest.</summary>
public sealed class TokenPolicyTests
{
    [Theory]
    [InlineData("read:orders/*", "orders/app", true)]
    [InlineData("read:orders/*", "orders/eu/app", true)]
    [InlineData("read:orders/*", "orders", false)]
    [InlineData("read:orders/*", "billing/app", false)]
    [InlineData("read:orders/*", "ordersx/app", false)]
    [InlineData("read:orders/app", "orders/app", true)]
    [InlineData("read:orders/app", "orders/app2", false)]
    [InlineData("read:*/app", "orders/app", true)]
    [InlineData("read:*/app", "orders/worker", false)]
    [InlineData("read:*", "anything/at/all", true)]
    [InlineData("read:o*s/*p", "orders/app", true)]
    public void A_pattern_matches_names_as_a_glob(string policy, string secret, bool allowed)
    {
        Assert.Equal(allowed, TokenPolicy.Parse(policy).Allows(Capability.Read, secret));
    }

    [Fact]
    public void A_capability_allows_only_itself_and_admin_allows_every_capability()
    {
        var rotate = TokenPolicy.Parse("rotate:orders/app");
        var admin = TokenPolicy.Parse("admin:orders/*");

        Assert.True(rotate.Allows(Capability.Rotate, "orders/app"));
        Assert.False(rotate.Allows(Capability.Read, "orders/app"));
        Assert.All(Enum.GetValues<Capability>(), c => Assert.True(admin.Allows(c, "orders/app")));
        Assert.False(admin.Allows(Capability.Read, "billing/app"));
    }

    [Fact]
    public void Only_admin_over_everything_is_an_administrator()
    {
        Assert.True(new AccessPolicy([TokenPolicy.Parse("read:*"), TokenPolicy.Parse("admin:*")]).IsAdministrator);
        Assert.False(new AccessPolicy([TokenPolicy.Parse("admin:orders/*")]).IsAdministrator);
        Assert.False(new AccessPolicy([TokenPolicy.Parse("read:*")]).IsAdministrator);
    }

    [Theory]
    [InlineData("read")]
    [InlineData("write:orders/*")]
    [InlineData("READ:orders/*")]
    [InlineData("read:")]
    [InlineData("read:Orders/*")]
    [InlineData("read:orders/?")]
    [InlineData("read:orders app")]
    public void A_malformed_policy_is_invalid_input_naming_it(string text)
    {
        var e = Assert.Throws<PgRotateException>(() => TokenPolicy.Parse(text));

        Assert.Equal(ErrorCode.InvalidInput, e.Code);
        Assert.Contains("policy", e.Message);
    }

    [Fact]
    public void A_long_pattern_of_stars_matches_without_blowing_up()
    {
        var policy = TokenPolicy.Parse("read:" + string.Concat(Enumerable.Repeat("*a", 60)) + "b");

        Assert.False(policy.Allows(Capability.Read, new string('a', 128)));
    }
}

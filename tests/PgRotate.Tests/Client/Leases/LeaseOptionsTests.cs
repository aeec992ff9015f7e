using PgRotate.Client;

namespace PgRotate.Tests.Client.Leases;

/// <summary>The lease options are checked with the rest, before anything is contacted.</summary>
public sealed class LeaseOptionsTests
{
    [Fact]
    public void A_lease_with_or_without_a_ttl_has_no_problem()
    {
        Assert.Empty(Valid(useLease: true, ttl: null).Validate());
        Assert.Empty(Valid(useLease: true, ttl: TimeSpan.FromMinutes(15)).Validate());
    }

    [Fact]
    public void A_lease_ttl_without_use_lease_is_refused()
    {
        var problem = Assert.Single(Valid(useLease: false, ttl: TimeSpan.FromMinutes(15)).Validate());

        Assert.Contains("set UseLease", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lease_ttl_under_one_second_is_refused()
    {
        var problem = Assert.Single(Valid(useLease: true, ttl: TimeSpan.FromMilliseconds(500)).Validate());

        Assert.Contains("LeaseTtl must be at least 1 s", problem, StringComparison.Ordinal);
    }

    private static PgRotateClientOptions Valid(bool useLease, TimeSpan? ttl) => new()
    {
        ServerUrl = new Uri("https://pgrotate.internal:8443"),
        Token = "pgr_test",
        Secret = "orders/instances",
        UseLease = useLease,
        LeaseTtl = ttl,
    };
}

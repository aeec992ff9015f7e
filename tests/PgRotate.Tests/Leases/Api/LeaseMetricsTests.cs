using PgRotate.Tests.Support;

namespace PgRotate.Tests.Leases.Api;

/// <summary><c>/metrics</c> with leases: the core's counters per secret and the server's gauge of active leases.</summary>
[Collection(ServerMetricsCollection.Name)]
public sealed class LeaseMetricsTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Metrics_count_issued_and_revoked_leases_and_gauge_the_active_ones_per_secret()
    {
        await using var api = await LeaseApiServer.StartAsync(postgres);
        var token = await api.Server.TokenAsync("lease:*");
        var first = await api.IssuedAsync(token);
        await api.IssuedAsync(token);
        var whileTwo = await MetricsAsync(api);
        (await api.Server.SendAsync(HttpMethod.Delete, "/v1/leases/" + first.LeaseId, token)).EnsureSuccessStatusCode();

        var afterRevoke = await MetricsAsync(api);

        var secret = $"secret=\"{api.Secret}\"";
        Assert.Contains(whileTwo, l => l.StartsWith("pgrotate_leases_active{", StringComparison.Ordinal) && l.Contains(secret, StringComparison.Ordinal) && l.EndsWith(" 2", StringComparison.Ordinal));
        Assert.Contains(afterRevoke, l => l.StartsWith("pgrotate_leases_active{", StringComparison.Ordinal) && l.Contains(secret, StringComparison.Ordinal) && l.EndsWith(" 1", StringComparison.Ordinal));
        Assert.Contains(afterRevoke, l => l.StartsWith("pgrotate_leases_issued_total{", StringComparison.Ordinal) && l.Contains(secret, StringComparison.Ordinal) && l.EndsWith(" 2", StringComparison.Ordinal));
        Assert.Contains(afterRevoke, l => l.StartsWith("pgrotate_leases_revoked_total{", StringComparison.Ordinal) && l.Contains(secret, StringComparison.Ordinal) && l.EndsWith(" 1", StringComparison.Ordinal));
    }

    private static async Task<IReadOnlyList<string>> MetricsAsync(LeaseApiServer api)
    {
        using var response = await api.Server.GetAsync("/metrics", null);
        response.EnsureSuccessStatusCode();
        return [.. (await response.Content.ReadAsStringAsync(Ct)).Split('\n').Select(l => l.Trim())];
    }
}

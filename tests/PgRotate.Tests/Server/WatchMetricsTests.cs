using System.Net;
using Microsoft.Extensions.Time.Testing;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Server;

/// <summary>The gauge of open long-polls on <c>/metrics</c>.</summary>
[Collection(ServerMetricsCollection.Name)]
public sealed class WatchMetricsTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Open_watches_are_counted_in_the_metrics()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("read:orders/app");
        var version = await server.CurrentVersionAsync();

        var watch = server.GetAsync($"/v1/secrets/orders/app?waitForChange={version}&timeout=5m", token);
        await server.Watchers.WhenOpenAsync(1, TestContext.Current.CancellationToken);
        var metrics = await server.Http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);

        Assert.Matches(@"(?m)^pgrotate_watches_open\{[^}]*\} 1$", metrics);
        await server.App.StopAsync(TestContext.Current.CancellationToken);
        (await watch).Dispose();
    }
}

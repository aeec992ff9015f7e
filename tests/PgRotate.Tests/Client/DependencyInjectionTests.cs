using System.Data.Common;
using Microsoft.Extensions.DependencyInjection;
using PgRotate.Client;
using PgRotate.Tests.Server;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Client;

/// <summary>AddPgRotateDataSource: one singleton, as itself, as DbDataSource and keyed by the secret, disposed with the container.</summary>
public sealed class DependencyInjectionTests(PostgresFixture postgres)
{
    [Fact]
    public async Task The_data_source_is_one_singleton_under_every_registration_and_disposed_with_the_container()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RestartableServer.StartAsync(postgres);
        var services = new ServiceCollection().AddPgRotateDataSource(RunningServer.Secret, o =>
        {
            o.ServerUrl = server.Address;
            o.Token = server.Token;
        });

        PgRotateDataSource dataSource;
        await using (var provider = services.BuildServiceProvider())
        {
            dataSource = provider.GetRequiredService<PgRotateDataSource>();
            Assert.Same(dataSource, provider.GetRequiredService<DbDataSource>());
            Assert.Same(dataSource, provider.GetRequiredKeyedService<PgRotateDataSource>(RunningServer.Secret));
            await using var connection = await provider.GetRequiredService<DbDataSource>().OpenConnectionAsync(ct);
            Assert.Equal(dataSource.CurrentUsername, await ClientTestSetup.SessionUserAsync((Npgsql.NpgsqlConnection)connection));
        }

        Assert.Throws<ObjectDisposedException>(() => dataSource.CreateConnection());
    }

    [Fact]
    public void Invalid_options_are_refused_at_registration()
    {
        var e = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(
            () => new ServiceCollection().AddPgRotateDataSource(RunningServer.Secret, o => o.Token = "pgr_x"));

        Assert.Contains(e.Failures, f => f.StartsWith("ServerUrl is required", StringComparison.Ordinal));
    }
}

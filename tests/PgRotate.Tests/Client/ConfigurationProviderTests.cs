using Microsoft.Extensions.Configuration;
using Npgsql;
using PgRotate.Tests.Server;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Client;

/// <summary>AddPgRotate: the credential as configuration keys, replaced and announced through the reload token on each rotation.</summary>
public sealed class ConfigurationProviderTests(PostgresFixture postgres)
{
    [Fact]
    public async Task The_reload_token_fires_on_a_rotation_and_the_keys_then_hold_the_new_credential()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RestartableServer.StartAsync(postgres);
        var configuration = new ConfigurationBuilder()
            .AddPgRotate(RunningServer.Secret, o =>
            {
                o.ServerUrl = server.Address;
                o.Token = server.Token;
            })
            .Build();
        try
        {
            var before = configuration["PgRotate:orders/app:Username"];
            var reloaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var registration = configuration.GetReloadToken().RegisterChangeCallback(_ => reloaded.TrySetResult(), null);

            var rotation = await server.RotateAsync();
            await reloaded.Task.WaitAsync(ct);

            Assert.NotEqual(before, rotation.Username);
            Assert.Equal(rotation.Username, configuration["PgRotate:orders/app:Username"]);
            Assert.Equal(rotation.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), configuration["PgRotate:orders/app:Version"]);
            Assert.False(string.IsNullOrEmpty(configuration["PgRotate:orders/app:Password"]));
            await using var connection = new NpgsqlConnection(configuration.GetConnectionString(RunningServer.Secret));
            await connection.OpenAsync(ct);
            Assert.Equal(rotation.Username, await ClientTestSetup.SessionUserAsync(connection));
        }
        finally
        {
            ((IDisposable)configuration).Dispose();
        }
    }

    [Fact]
    public void Invalid_options_are_refused_when_the_source_is_added()
    {
        var e = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(
            () => new ConfigurationBuilder().AddPgRotate(RunningServer.Secret, o => o.ServerUrl = new Uri("http://pgrotate.internal:7420")));

        Assert.Contains(e.Failures, f => f.StartsWith("a token is required", StringComparison.Ordinal));
    }
}

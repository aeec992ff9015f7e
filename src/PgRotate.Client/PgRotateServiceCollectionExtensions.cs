using System.Data.Common;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using PgRotate.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a <see cref="PgRotateDataSource"/> in a service collection.</summary>
public static class PgRotateServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="PgRotateDataSource"/> following <paramref name="secret"/> as a singleton: as itself and
    /// as <see cref="DbDataSource"/> (what EF Core's <c>UseNpgsql(dataSource)</c> and Dapper take), and also keyed by
    /// the secret's name for services that use several secrets. It is created on first use (fetching the credential
    /// then; a server that cannot be reached or refuses the token fails that resolution) and disposed with the container.
    /// An <see cref="ILoggerFactory"/> and a <see cref="TimeProvider"/> registered in the container are used.
    /// </summary>
    public static IServiceCollection AddPgRotateDataSource(this IServiceCollection services, string secret, Action<PgRotateClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = PgRotateClientOptions.For(secret, configure);
        services.AddKeyedSingleton(secret, (provider, _) => Create(provider, options));
        services.AddSingleton(provider => provider.GetRequiredKeyedService<PgRotateDataSource>(secret));
        services.TryAddSingleton<DbDataSource>(provider => provider.GetRequiredService<PgRotateDataSource>());
        return services;
    }

    /// <summary>
    /// A container's factory cannot await, so the first fetch is waited for here, once, on the resolving thread; every
    /// await inside the client passes on the caller's context, so this does not deadlock under a synchronization context.
    /// </summary>
    private static PgRotateDataSource Create(IServiceProvider provider, PgRotateClientOptions options) =>
        PgRotateDataSource.CreateAsync(options, provider.GetService<ILoggerFactory>(), provider.GetService<TimeProvider>()).GetAwaiter().GetResult();
}

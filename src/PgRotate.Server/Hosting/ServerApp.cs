using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Server.Auditing;
using PgRotate.Server.Auth;
using PgRotate.Server.Caching;
using PgRotate.Server.Endpoints;
using PgRotate.Server.ErrorHandling;
using PgRotate.Server.Metrics;
using PgRotate.Server.Scheduling;
using PgRotate.Server.VaultCompatibility;
using PgRotate.Server.Watching;
using PgRotate.Store;

namespace PgRotate.Server.Hosting;

/// <summary>
/// Builds the server of <c>pgrotate serve</c> around a store opened once for the process: Kestrel on the one address
/// of <see cref="ServerSettings.Listen"/>, bearer-token authentication, the <c>/v1</c> endpoints, health, metrics and
/// the OpenAPI document, the scheduler and the relay of the store's change feed.
/// </summary>
public static class ServerApp
{
    /// <summary>
    /// Checks the settings (plain HTTP off loopback is refused unless <see cref="ServerSettings.Insecure"/>, and then
    /// warned about on <paramref name="warnings"/>) and builds the application; nothing listens until it is started.
    /// </summary>
    public static WebApplication Build(
        ServerSettings settings, ISecretStore store, TargetConnector connector, TimeProvider time, TextWriter warnings, Action<ILoggingBuilder>? logging = null)
    {
        var certificate = CheckTransport(settings, warnings);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "pgrotate", EnvironmentName = Environments.Production });
        builder.Logging.ClearProviders();
        logging?.Invoke(builder.Logging);
        // Authentication brings data protection, which warns that its keys are unencrypted: the server never uses them
        // (bearer tokens are checked against the store, nothing is put in cookies).
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = settings.MaxRequestBodyBytes;
            kestrel.Listen(settings.Listen.Address, settings.Listen.Port, listen =>
            {
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            });
        });

        var services = builder.Services;
        services.AddSingleton(settings);
        services.AddSingleton(store);
        services.AddSingleton(connector);
        services.AddSingleton(time);
        services.AddSingleton<SecretWatchers>();
        services.AddSingleton<ServerMetrics>();
        services.AddSingleton<ServerRotations>();
        services.AddSingleton<AuthFailureLimiter>();
        services.AddSingleton<TokenCache>();
        services.AddSingleton<CredentialCache>();
        services.AddSingleton<AuditBatcher>();
        services.AddHostedService<StoreChangeRelay>();
        // One instance, both run as a hosted service and asked by /v1/secrets for each secret's scheduling status.
        services.AddSingleton<ScheduledRotations>();
        services.AddHostedService(provider => provider.GetRequiredService<ScheduledRotations>());
        Leasing.LeasingServices.AddLeasing(services);
        services.AddSingleton<CallerLeases>();
        services.AddSingleton<LeaseGauges>();
        // No default scheme: only endpoints that require authorization look at a token, so health checks and metrics
        // scrapes never count as failed authentications.
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .SetDefaultPolicy(new AuthorizationPolicyBuilder(BearerTokenHandler.SchemeName).RequireAuthenticatedUser().Build());
        services.AddOpenApi();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(ServerMetrics.MeterName, TargetMetrics.MeterName)
            // Each scrape answers what is counted now (the lease gauges are read from the store for it), not a cached answer.
            .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0));

        var app = builder.Build();
        if (settings.VaultMount is { } vaultMount)
        {
            VaultApi.UseErrorShape(app, vaultMount);
        }

        app.UseMiddleware<PathGuardMiddleware>();
        app.UseMiddleware<ApiErrorMiddleware>();
        // A status without a body (an unknown path, a wrong method) still answers with the JSON error shape.
        app.UseStatusCodePages(context => context.HttpContext.Response.StatusCode switch
        {
            StatusCodes.Status404NotFound => ApiErrors.WriteAsync(context.HttpContext, 404, ApiErrors.NoSuchEndpoint, "no such endpoint; GET /openapi/v1.json lists them"),
            StatusCodes.Status405MethodNotAllowed => ApiErrors.WriteAsync(context.HttpContext, 405, ApiErrors.NoSuchEndpoint, "this endpoint does not take that method"),
            var status when status < 500 => ApiErrors.WriteAsync(context.HttpContext, status, ErrorCode.InvalidInput.WireName(), "the request is malformed"),
            var status => ApiErrors.WriteAsync(context.HttpContext, status, ApiErrors.Unexpected, "unexpected error; the server's log has the details"),
        });
        // No UseAuthentication: with one scheme registered it would become the default and look at every request's
        // token; authorization authenticates with the policy's scheme, on the endpoints that require it only.
        app.UseAuthorization();
        app.MapOpenApi();
        app.UseMiddleware<LeaseGaugeRefresh>();
        app.MapPrometheusScrapingEndpoint(LeaseGaugeRefresh.MetricsPath);
        HealthEndpoints.Map(app);
        SecretEndpoints.Map(app);
        AuditEndpoints.Map(app);
        LeaseEndpoints.Map(app);
        if (settings.VaultMount is { } mount)
        {
            VaultApi.Map(app, mount);
        }

        return app;
    }

    /// <summary>The address a started application listens on (port 0 resolved to the port it got).</summary>
    public static Uri BoundAddress(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>
    /// HTTPS needs a certificate and key that load; plain HTTP is for loopback, or for any address with --insecure
    /// (a warning: tokens and passwords would cross the network readable).
    /// </summary>
    private static X509Certificate2? CheckTransport(ServerSettings settings, TextWriter warnings)
    {
        if (settings.Listen.Https)
        {
            if (settings.TlsCertificateFile is null || settings.TlsKeyFile is null)
            {
                throw PgRotateException.InvalidInput("https needs both --tls-cert and --tls-key");
            }

            try
            {
                return X509Certificate2.CreateFromPemFile(settings.TlsCertificateFile, settings.TlsKeyFile);
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                throw new PgRotateException(ErrorCode.InvalidInput,
                    $"--tls-cert {Sql.Printable(settings.TlsCertificateFile)} and --tls-key {Sql.Printable(settings.TlsKeyFile)} do not load as a PEM certificate and its private key: {e.Message}");
            }
        }

        if (!settings.Listen.IsLoopback)
        {
            if (!settings.Insecure)
            {
                throw PgRotateException.InvalidInput(
                    $"refusing to serve plain HTTP on {settings.Listen}, which other machines can reach: tokens and passwords would cross the network readable. Give --tls-cert and --tls-key (and an https:// --listen), listen on 127.0.0.1, or pass --insecure if a TLS proxy on this machine is the only way in");
            }

            warnings.WriteLine($"pgrotate: warning: serving plain HTTP on {settings.Listen} (--insecure): tokens and passwords cross the network readable unless a TLS proxy is the only way in");
        }

        return null;
    }
}

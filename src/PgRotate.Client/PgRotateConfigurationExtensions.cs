using PgRotate.Client;

namespace Microsoft.Extensions.Configuration;

/// <summary>Adds a pgrotate secret's current credential to an application's configuration.</summary>
public static class PgRotateConfigurationExtensions
{
    /// <summary>
    /// Exposes <paramref name="secret"/>'s current credential as <c>ConnectionStrings:SECRET</c> (an Npgsql connection
    /// string, password included) and <c>PgRotate:SECRET:Username</c>, <c>Password</c>, <c>Host</c>, <c>Port</c>,
    /// <c>Database</c>, <c>Version</c>, <c>SslMode</c>, <c>SslRootCert</c>, <c>ChannelBinding</c>, and fires the
    /// configuration's reload token on each rotation. The credential is fetched when the configuration is built.
    /// </summary>
    public static IConfigurationBuilder AddPgRotate(this IConfigurationBuilder builder, string secret, Action<PgRotateClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new PgRotateConfigurationSource(PgRotateClientOptions.For(secret, configure)));
    }
}

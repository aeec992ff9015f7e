using Npgsql;
using PgRotate.Contracts;

namespace PgRotate.Client;

/// <summary>
/// What of a credential goes into a connection string: server, database, login and TLS (libpq's names on the wire,
/// Npgsql's settings here). The password never does: the inner data source asks for it when it opens a connection.
/// </summary>
internal static class CredentialConnection
{
    /// <summary>Only SCRAM (or no password exchange): a server, or something pretending to be one, asking for a cleartext or MD5 password gets nothing.</summary>
    public const string RequireAuth = "ScramSHA256,None";

    /// <summary>Writes the credential's fields over whatever the application's callback set for them.</summary>
    public static void Apply(Credential credential, NpgsqlConnectionStringBuilder builder)
    {
        builder.Host = credential.Host;
        builder.Port = credential.Port;
        builder.Database = credential.Database;
        builder.Username = credential.Username;
        builder.Password = null;
        builder.RequireAuth = RequireAuth;
        if (credential.SslMode is { } sslMode)
        {
            builder.SslMode = SslModeOf(sslMode);
        }

        if (credential.SslRootCert is { } rootCertificate)
        {
            builder.RootCertificate = rootCertificate;
        }

        if (credential.ChannelBinding is { } channelBinding)
        {
            builder.ChannelBinding = ChannelBindingOf(channelBinding);
        }
    }

    /// <summary>Whether a connection to <paramref name="next"/> goes to the same server, database and login as to <paramref name="held"/>, so only the password differs.</summary>
    public static bool SameLogin(Credential held, Credential next) =>
        held.Username == next.Username && held.Host == next.Host && held.Port == next.Port && held.Database == next.Database
        && held.SslMode == next.SslMode && held.SslRootCert == next.SslRootCert && held.ChannelBinding == next.ChannelBinding;

    private static SslMode SslModeOf(string libpq) => libpq switch
    {
        "disable" => SslMode.Disable,
        "allow" => SslMode.Allow,
        "prefer" => SslMode.Prefer,
        "require" => SslMode.Require,
        "verify-ca" => SslMode.VerifyCA,
        "verify-full" => SslMode.VerifyFull,
        _ => throw new PgRotateApiException($"the credential's sslmode {libpq} is not one libpq knows"),
    };

    private static ChannelBinding ChannelBindingOf(string libpq) => libpq switch
    {
        "disable" => ChannelBinding.Disable,
        "prefer" => ChannelBinding.Prefer,
        "require" => ChannelBinding.Require,
        _ => throw new PgRotateApiException($"the credential's channel_binding {libpq} is not one libpq knows"),
    };
}

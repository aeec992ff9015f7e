using System.Data.Common;
using System.Net;
using Npgsql;

namespace PgRotate.Targets;

/// <summary>
/// How pgrotate secures the connection to a target. Off the machine (any host other than loopback or a Unix socket) the
/// default is <c>SSL Mode=VerifyFull</c>: encrypted, and the server's certificate must chain to the target's
/// <c>Root Certificate</c> (else the system store) and be issued for the host name, so nobody on the network path can read
/// or take over the admin session. A target may set a weaker mode explicitly; it is used, with <see cref="Warning"/>.
/// </summary>
public static class TargetTls
{
    private const string SslModeKey = "SSL Mode";
    private const string ChannelBindingKey = "Channel Binding";

    /// <summary>
    /// True when every host of the connection string is on this machine: a loopback address (127.0.0.0/8, ::1),
    /// <c>localhost</c>, or a Unix socket folder (a path starting with '/'). Nothing on a network sees those connections.
    /// </summary>
    internal static bool IsLocal(string? hosts)
    {
        if (string.IsNullOrWhiteSpace(hosts))
        {
            return true; // Npgsql's default host is localhost.
        }

        return hosts.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).All(IsLocalHost);
    }

    private static bool IsLocalHost(string host)
    {
        if (host.StartsWith('/'))
        {
            return true;
        }

        var name = StripPort(host);
        return name.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(name, out var address) && IPAddress.IsLoopback(address));
    }

    /// <summary>"db:5433" and "[::1]:5433" (Npgsql's multi-host form) without the port; a bare IPv6 address as it is.</summary>
    private static string StripPort(string host)
    {
        if (host.StartsWith('['))
        {
            var end = host.IndexOf(']', StringComparison.Ordinal);
            return end > 0 ? host[1..end] : host;
        }

        var colon = host.LastIndexOf(':');
        return colon > 0 && host.IndexOf(':', StringComparison.Ordinal) == colon ? host[..colon] : host;
    }

    /// <summary>Whether the connection string names an SSL Mode itself (Npgsql's builder reports its default as if it did).</summary>
    internal static bool HasExplicitSslMode(string connectionString) => HasKey(connectionString, SslModeKey);

    private static bool HasKey(string connectionString, string key) =>
        new DbConnectionStringBuilder { ConnectionString = new NpgsqlConnectionStringBuilder(connectionString).ConnectionString }.ContainsKey(key);

    /// <summary>The SSL Mode pgrotate connects to the target with.</summary>
    public static SslMode EffectiveSslMode(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return HasExplicitSslMode(connectionString) || IsLocal(builder.Host) ? builder.SslMode : SslMode.VerifyFull;
    }

    /// <summary>Sets pgrotate's default SSL Mode on a builder made from a target's connection string.</summary>
    internal static void ApplyDefaults(NpgsqlConnectionStringBuilder builder, string targetConnectionString) =>
        builder.SslMode = EffectiveSslMode(targetConnectionString);

    /// <summary>
    /// The one-line warning for a target off this machine whose connection string asks for less than VerifyFull, or null.
    /// </summary>
    public static string? Warning(Target target)
    {
        var builder = new NpgsqlConnectionStringBuilder(target.ConnectionString);
        if (IsLocal(builder.Host))
        {
            return null;
        }

        var mode = EffectiveSslMode(target.ConnectionString);
        var risk = mode switch
        {
            SslMode.Disable => "sends the admin session unencrypted",
            SslMode.Allow or SslMode.Prefer => "may connect unencrypted and never checks the server's certificate",
            SslMode.Require => "encrypts but never checks the server's certificate",
            SslMode.VerifyCA => $"checks who issued the server's certificate but not that it was issued for {target.Host}",
            _ => null,
        };
        return risk is null
            ? null
            : $"target {target.Name}: SSL Mode={mode} {risk}, so someone on the network path could read or take over the admin session and the SCRAM verifiers it sets; use SSL Mode=VerifyFull (with Root Certificate=<CA file> for a private CA)";
    }

    /// <summary>
    /// The TLS settings a client of this target needs so that it does not connect with less than pgrotate does: the SSL
    /// Mode pgrotate uses (unless the host is local and nothing was set), the root certificate file, and an explicit
    /// channel binding setting.
    /// </summary>
    internal static ClientTls ForClients(Target target)
    {
        var builder = new NpgsqlConnectionStringBuilder(target.ConnectionString);
        SslMode? mode = HasExplicitSslMode(target.ConnectionString) || !IsLocal(builder.Host) ? EffectiveSslMode(target.ConnectionString) : null;
        ChannelBinding? channelBinding = HasKey(target.ConnectionString, ChannelBindingKey) ? builder.ChannelBinding : null;
        return new ClientTls(mode, string.IsNullOrEmpty(builder.RootCertificate) ? null : builder.RootCertificate, channelBinding);
    }

    /// <summary>libpq's spelling of an SSL Mode (sslmode=verify-full), for PGSSLMODE and pg_service.conf.</summary>
    internal static string LibpqName(SslMode mode) => mode switch
    {
        SslMode.Disable => "disable",
        SslMode.Allow => "allow",
        SslMode.Prefer => "prefer",
        SslMode.Require => "require",
        SslMode.VerifyCA => "verify-ca",
        SslMode.VerifyFull => "verify-full",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };

    /// <summary>libpq's spelling of a channel binding setting (channel_binding=require).</summary>
    internal static string LibpqName(ChannelBinding channelBinding) => channelBinding switch
    {
        ChannelBinding.Disable => "disable",
        ChannelBinding.Prefer => "prefer",
        ChannelBinding.Require => "require",
        _ => throw new ArgumentOutOfRangeException(nameof(channelBinding), channelBinding, null),
    };
}

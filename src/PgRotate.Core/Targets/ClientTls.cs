using Npgsql;

namespace PgRotate.Targets;

/// <summary>TLS settings handed to clients with a credential; null members are left to the client's defaults.</summary>
internal sealed record ClientTls(SslMode? SslMode, string? RootCertificate, ChannelBinding? ChannelBinding)
{
    internal static ClientTls None { get; } = new(null, null, null);
}

namespace PgRotate.Contracts;

/// <summary>
/// Everything a client needs to connect with one version of a secret (<c>pgrotate get --format json</c>). The TLS
/// fields are libpq's names and values (sslmode, sslrootcert, channel_binding), null when the client may use its own
/// defaults. <see cref="ToString"/> leaves the password out, so a logged record does not leak it.
/// </summary>
public sealed record Credential(
    string Name,
    string Username,
    string Password,
    string Host,
    int Port,
    string Database,
    int Version,
    CredentialStage Stage,
    DateTimeOffset? RotatedAt,
    DateTimeOffset? ValidUntil,
    string? SslMode,
    string? SslRootCert,
    string? ChannelBinding)
{
    public override string ToString() =>
        $"Credential {{ Name = {Name}, Username = {Username}, Password = (hidden), Host = {Host}, Port = {Port}, Database = {Database}, Version = {Version}, Stage = {Stage} }}";
}

namespace PgRotate.Contracts;

/// <summary>
/// A lease just issued (<c>lease issue --format json</c>): its id (to renew or revoke it), its times, and everything a
/// client needs to connect with its own login. TLS fields as in <see cref="Credential"/>. <see cref="ToString"/> leaves
/// the password out.
/// </summary>
public sealed record LeaseCredential(
    string LeaseId,
    string Secret,
    string Username,
    string Password,
    string Host,
    int Port,
    string Database,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset MaxExpiresAt,
    string? SslMode,
    string? SslRootCert,
    string? ChannelBinding)
{
    public override string ToString() =>
        $"LeaseCredential {{ LeaseId = {LeaseId}, Secret = {Secret}, Username = {Username}, Password = (hidden), Host = {Host}, Port = {Port}, Database = {Database}, ExpiresAt = {ExpiresAt:O} }}";
}

namespace PgRotate.Contracts;

/// <summary>TLS on the admin login to a target, as the server saw the session.</summary>
/// <param name="Enabled">Whether the session used TLS at all.</param>
/// <param name="SslMode">The SSL Mode pgrotate connects with, spelt as in the connection string (e.g. <c>VerifyFull</c>).</param>
/// <param name="CertificateIssuerVerified">Whether the server's certificate was checked against a trusted root.</param>
/// <param name="CertificateNameVerified">Whether the certificate was checked to name the host connected to.</param>
public sealed record TransportTls(
    bool Enabled,
    string? Protocol,
    string? Cipher,
    string SslMode,
    bool CertificateIssuerVerified,
    bool CertificateNameVerified);

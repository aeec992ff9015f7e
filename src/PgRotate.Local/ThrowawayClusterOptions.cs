using PgRotate.Crypto;

namespace PgRotate.Local;

/// <summary>How to start a <see cref="ThrowawayCluster"/>; the defaults are what the tests' shared cluster and the demo use.</summary>
internal sealed record ThrowawayClusterOptions
{
    /// <summary>With a certificate, the server also accepts TLS (ssl = on); without, it offers none.</summary>
    public ThrowawayClusterTls? Tls { get; init; }
}

/// <summary>The server certificate (PEM, with any intermediates) and its private key (PEM) for a TLS throwaway cluster.</summary>
internal sealed record ThrowawayClusterTls(string CertificatePem, SecretText PrivateKeyPem);

using System.Buffers.Binary;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Npgsql;

namespace PgRotate.Targets;

/// <summary>
/// Says in one line why a TLS connection to a target failed. Npgsql reports every refused certificate as "Exception while
/// performing SSL handshake" without the reason, so after such a failure pgrotate repeats the handshake itself (the
/// PostgreSQL SSLRequest, then TLS; nothing else is sent, no credential) and looks at the certificate the server shows:
/// not offered at all, not issued for the host name, or not issued by a trusted root.
/// </summary>
internal static class TlsDiagnosis
{
    /// <summary>The SSLRequest code of the PostgreSQL protocol (1234 in the high 16 bits, 5679 in the low).</summary>
    private const int SslRequestCode = 80877103;

    /// <summary>The reason, or null when the handshake works this time or the failure is not about TLS.</summary>
    public static async Task<string?> DescribeAsync(string host, int port, SslMode mode, string? rootCertificate, CancellationToken cancellationToken)
    {
        if (mode is not (SslMode.Require or SslMode.VerifyCA or SslMode.VerifyFull) || host.StartsWith('/'))
        {
            return null;
        }

        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            var stream = client.GetStream();
            var request = new byte[8];
            BinaryPrimitives.WriteInt32BigEndian(request, 8);
            BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(4), SslRequestCode);
            await stream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
            var reply = new byte[1];
            await stream.ReadExactlyAsync(reply, cancellationToken).ConfigureAwait(false);
            if (reply[0] != (byte)'S')
            {
                return $"the server at {host} offers no TLS, but SSL Mode={mode} requires it (pgrotate's default off this machine): enable ssl on the server, or set a weaker SSL Mode in the target's connection string";
            }

            X509Certificate2? certificate = null;
            var policyErrors = SslPolicyErrors.None;
            var tls = new SslStream(stream, leaveInnerStreamOpen: false);
            await using var closeTls = tls.ConfigureAwait(false);
            try
            {
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = host,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                    RemoteCertificateValidationCallback = (_, presented, _, errors) =>
                    {
                        certificate = presented is null ? null : X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
                        policyErrors = errors;
                        return false; // Only looking: the handshake is abandoned either way.
                    },
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (AuthenticationException) when (certificate is not null)
            {
            }
            catch (Exception e) when (e is AuthenticationException or IOException)
            {
                return $"TLS handshake with {host} failed: {OneLine(e.Message)}";
            }

            using (certificate)
            {
                return certificate is null ? null : Judge(certificate, policyErrors, host, mode, rootCertificate);
            }
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return null;
        }
    }

    private static string? Judge(X509Certificate2 certificate, SslPolicyErrors policyErrors, string host, SslMode mode, string? rootCertificate)
    {
        if (mode == SslMode.VerifyFull && policyErrors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            return $"the TLS certificate of {host} is issued for {NamesOf(certificate)}, not {host} (SSL Mode=VerifyFull checks the name): connect by a name the certificate holds, or have the server's certificate reissued";
        }

        if (mode is SslMode.VerifyCA or SslMode.VerifyFull)
        {
            var roots = rootCertificate ?? Environment.GetEnvironmentVariable("PGSSLROOTCERT") ?? DefaultRootFile();
            using var chain = new X509Chain();
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (roots is not null)
            {
                var trusted = new X509Certificate2Collection();
                if (!File.Exists(roots))
                {
                    return $"Root Certificate {roots} does not exist, so the TLS certificate of {host} cannot be checked";
                }

                try
                {
                    trusted.ImportFromPemFile(roots);
                }
                catch (CryptographicException)
                {
                    return $"Root Certificate {roots} holds no PEM certificate, so the TLS certificate of {host} cannot be checked";
                }

                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
                chain.ChainPolicy.ExtraStore.AddRange(trusted);
            }

            if (!chain.Build(certificate))
            {
                var reason = chain.ChainStatus.Select(s => OneLine(s.StatusInformation)).FirstOrDefault(s => s.Length > 0) ?? "no chain to a trusted root";
                var trustedBy = roots is null ? "the system certificate store" : $"Root Certificate {roots}";
                return $"the TLS certificate of {host} (issued by {certificate.Issuer}) is not trusted by {trustedBy}: {reason}; set Root Certificate=<file of the CA that issued it> in the target's connection string";
            }
        }

        return null;
    }

    /// <summary>The DNS names and addresses a certificate is issued for (its subject alternative names, else its subject).</summary>
    private static string NamesOf(X509Certificate2 certificate)
    {
        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>()
            .SelectMany(san => san.EnumerateDnsNames().Concat(san.EnumerateIPAddresses().Select(a => a.ToString())))
            .ToList();
        return names.Count > 0 ? string.Join(", ", names) : certificate.Subject;
    }

    /// <summary>libpq's and Npgsql's default root certificate file, if there is one.</summary>
    private static string? DefaultRootFile()
    {
        var home = Environment.GetEnvironmentVariable("HOME");
        var path = home is null ? null : Path.Combine(home, ".postgresql", "root.crt");
        return path is not null && File.Exists(path) ? path : null;
    }

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}

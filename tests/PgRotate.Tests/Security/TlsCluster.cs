using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PgRotate.Crypto;
using PgRotate.Local;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Security;

/// <summary>
/// A second throwaway cluster for the TLS tests, with ssl = on and a server certificate for the name "localhost" issued
/// by a test CA (<see cref="CaFile"/>). <see cref="OtherCaFile"/> is a CA that issued nothing the server holds. The
/// shared cluster stays without TLS, so the other tests see no difference.
/// </summary>
public sealed class TlsCluster : IAsyncLifetime
{
    public ThrowawayCluster Cluster { get; private set; } = null!;
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("pgrotate-tls-").FullName;
    public string CaFile => Path.Combine(Directory, "ca.crt");
    public string OtherCaFile => Path.Combine(Directory, "other-ca.crt");

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var notBefore = DateTimeOffset.UtcNow.AddDays(-1);
        var notAfter = DateTimeOffset.UtcNow.AddDays(7);
        using var ca = CreateCa("CN=pgrotate test CA", notBefore, notAfter);
        using var other = CreateCa("CN=pgrotate other CA", notBefore, notAfter);
        await File.WriteAllTextAsync(CaFile, ca.ExportCertificatePem(), ct);
        await File.WriteAllTextAsync(OtherCaFile, other.ExportCertificatePem(), ct);

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var server = request.Create(ca, notBefore, notAfter, RandomNumberGenerator.GetBytes(8));

        Cluster = await ThrowawayCluster.StartAsync(Environment.GetEnvironmentVariable(PostgresFixture.BinDirVariable),
            new ThrowawayClusterOptions { Tls = new ThrowawayClusterTls(server.ExportCertificatePem(), new SecretText(serverKey.ExportPkcs8PrivateKeyPem())) },
            ct);
    }

    private static X509Certificate2 CreateCa(string subject, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(notBefore, notAfter);
    }

    /// <summary>
    /// Puts <paramref name="line"/> first in pg_hba.conf (the first matching line decides), reloads, and returns once new
    /// sessions run with the reloaded configuration (their pg_conf_load_time is the postmaster's, set by the reload).
    /// </summary>
    public async Task PrependHbaLineAsync(string line)
    {
        var ct = TestContext.Current.CancellationToken;
        var path = Path.Combine(Cluster.DataDirectory, "pg_hba.conf");
        await File.WriteAllTextAsync(path, line + "\n" + await File.ReadAllTextAsync(path, ct), ct);
        DateTime loadedBefore;
        await using (var connection = await Cluster.OpenSuperuserConnectionAsync(cancellationToken: ct))
        {
            loadedBefore = await connection.ScalarAsync<DateTime>("SELECT pg_conf_load_time()");
            await connection.ExecuteAsync("SELECT pg_reload_conf()");
        }

        while (true)
        {
            await using var connection = await Cluster.OpenSuperuserConnectionAsync(cancellationToken: ct);
            if (await connection.ScalarAsync<DateTime>("SELECT pg_conf_load_time()") > loadedBefore)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }

        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

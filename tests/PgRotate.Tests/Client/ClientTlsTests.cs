using PgRotate.Client;
using PgRotate.Server;
using PgRotate.Tests.Server;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Client;

/// <summary>
/// The server's certificate is always verified: a private CA is trusted only when given as CaCertificateFile, and a
/// certificate for another host name is refused even then.
/// </summary>
public sealed class ClientTlsTests(PostgresFixture postgres) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pgrotate-client-tls-").FullName;

    [Fact]
    public async Task A_server_certificate_from_the_ca_file_is_trusted()
    {
        using var ca = new TestCertificateAuthority(_folder, "orders-ca");
        await using var server = await HttpsServerAsync(ca.IssueServerCertificate());

        using var api = await ApiAsync(server, ca.RootFile);
        var credential = await api.GetCredentialAsync(RunningServer.Secret, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(await server.CurrentVersionAsync(), credential.Version);
    }

    [Fact]
    public async Task Without_the_ca_file_the_private_certificate_is_refused_before_anything_is_sent()
    {
        using var ca = new TestCertificateAuthority(_folder, "orders-ca");
        await using var server = await HttpsServerAsync(ca.IssueServerCertificate());

        using var api = await ApiAsync(server, caFile: null);
        var e = await Assert.ThrowsAsync<PgRotateApiException>(() => api.GetCredentialAsync(RunningServer.Secret, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Null(e.StatusCode);
        Assert.Contains("cannot reach the pgrotate server", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_ca_file_of_another_ca_does_not_make_the_certificate_trusted()
    {
        using var ca = new TestCertificateAuthority(_folder, "orders-ca");
        using var other = new TestCertificateAuthority(_folder, "other-ca");
        await using var server = await HttpsServerAsync(ca.IssueServerCertificate());

        using var api = await ApiAsync(server, other.RootFile);

        var e = await Assert.ThrowsAsync<PgRotateApiException>(() => api.GetCredentialAsync(RunningServer.Secret, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Null(e.StatusCode);
    }

    [Fact]
    public async Task A_certificate_from_the_ca_file_for_another_host_name_is_refused()
    {
        using var ca = new TestCertificateAuthority(_folder, "orders-ca");
        await using var server = await HttpsServerAsync(ca.IssueServerCertificate(dnsName: "pgrotate.example.com"));

        using var api = await ApiAsync(server, ca.RootFile);

        var e = await Assert.ThrowsAsync<PgRotateApiException>(() => api.GetCredentialAsync(RunningServer.Secret, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Null(e.StatusCode);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private Task<RunningServer> HttpsServerAsync((string CertificateFile, string KeyFile) pair) =>
        RunningServer.StartAsync(postgres, s => s with
        {
            Listen = ListenAddress.Parse("https://127.0.0.1:0", tls: true),
            TlsCertificateFile = pair.CertificateFile,
            TlsKeyFile = pair.KeyFile,
        });

    private static async Task<PgRotateApiClient> ApiAsync(RunningServer server, string? caFile) =>
        await PgRotateApiClient.CreateAsync(
            new PgRotateClientOptions { ServerUrl = server.Address, Token = await server.TokenAsync("read:orders/app"), CaCertificateFile = caFile },
            cancellationToken: TestContext.Current.CancellationToken);
}

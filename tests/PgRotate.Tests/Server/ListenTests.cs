using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Server;
using PgRotate.Server.Hosting;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Server;

/// <summary>Where the server listens: plain HTTP only on loopback unless --insecure (warned), HTTPS with a PEM pair.</summary>
public sealed class ListenTests(PostgresFixture postgres)
{
    [Theory]
    [InlineData("http://0.0.0.0:0")]
    [InlineData("http://[::]:0")]
    [InlineData("http://192.0.2.10:7420")]
    public async Task Serve_refuses_plain_http_off_loopback_with_one_line_and_exit_2(string listen)
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();

        var line = (await sandbox.RunAsync("serve", "--listen", listen)).FailsWith(2);

        Assert.Contains("refusing to serve plain HTTP", line);
        Assert.Contains("--insecure", line);
    }

    [Theory]
    [InlineData("--listen", "ftp://127.0.0.1:1")]
    [InlineData("--listen", "http://db.example.com:7420")]
    [InlineData("--listen", "https://127.0.0.1:0")]
    [InlineData("--tls-cert", "cert.pem")]
    [InlineData("--scheduler-interval", "never")]
    public async Task Serve_refuses_bad_options_before_listening(string option, string value)
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();

        (await sandbox.RunAsync("serve", option, value)).FailsWith(2);
    }

    [Fact]
    public async Task Insecure_serves_plain_http_off_loopback_and_warns_on_stderr()
    {
        await using var server = await RunningServer.StartAsync(postgres, s => s with { Listen = ListenAddress.Parse("http://0.0.0.0:0", tls: false), Insecure = true });

        using var health = await server.Http.GetAsync(new Uri($"http://127.0.0.1:{server.Address.Port}/healthz"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var warning = Assert.Single(server.Warnings.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("pgrotate: warning: serving plain HTTP on http://0.0.0.0:0", warning);
    }

    [Fact]
    public async Task Plain_http_off_loopback_is_refused_by_the_server_itself_without_insecure()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var settings = new ServerSettings { Listen = ListenAddress.Parse("http://0.0.0.0:0", tls: false) };

        var e = Assert.Throws<PgRotateException>(() => ServerApp.Build(settings, null!, null!, TimeProvider.System, TextWriter.Null));

        Assert.Equal(ErrorCode.InvalidInput, e.Code);
    }

    [Fact]
    public async Task With_a_pem_certificate_and_key_it_serves_https_on_any_address()
    {
        var folder = Directory.CreateTempSubdirectory("pgrotate-tls-").FullName;
        try
        {
            using var rsa = RSA.Create(2048);
            var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
            var certFile = Path.Combine(folder, "tls.crt");
            var keyFile = Path.Combine(folder, "tls.key");
            await File.WriteAllTextAsync(certFile, certificate.ExportCertificatePem(), TestContext.Current.CancellationToken);
            await File.WriteAllTextAsync(keyFile, rsa.ExportPkcs8PrivateKeyPem(), TestContext.Current.CancellationToken);
            await using var server = await RunningServer.StartAsync(postgres, s => s with
            {
                Listen = ListenAddress.Parse("https://0.0.0.0:0", tls: true),
                TlsCertificateFile = certFile,
                TlsKeyFile = keyFile,
            });
            using var handler = new HttpClientHandler
            {
                ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented?.Thumbprint == certificate.Thumbprint,
            };
            using var client = new HttpClient(handler);

            using var health = await client.GetAsync(new Uri($"https://127.0.0.1:{server.Address.Port}/healthz"), TestContext.Current.CancellationToken);

            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal("https", server.Address.Scheme);
            Assert.Empty(server.Warnings.ToString());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

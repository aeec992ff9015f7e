using System.Security.Authentication;
using Npgsql;
using PgRotate.Credentials;
using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Secrets;
using PgRotate.Targets;

namespace PgRotate.Tests.Security;

/// <summary>
/// The connection settings pgrotate builds for a target: SCRAM or nothing for authentication, VerifyFull by default off
/// this machine, the target's own SSL Mode when it sets one; and the TLS settings each credential format carries.
/// </summary>
public sealed class TargetTlsTests
{
    [Theory]
    [InlineData("Host=db.example", SslMode.VerifyFull)]
    [InlineData("Host=10.1.2.3;Port=6432", SslMode.VerifyFull)]
    [InlineData("Host=localhost,db.example", SslMode.VerifyFull)]
    [InlineData("Host=db.example;SSL Mode=Require", SslMode.Require)]
    [InlineData("Host=db.example;SSL Mode=Disable", SslMode.Disable)]
    [InlineData("Host=127.0.0.1", SslMode.Prefer)]
    [InlineData("Host=127.8.9.10", SslMode.Prefer)]
    [InlineData("Host=::1", SslMode.Prefer)]
    [InlineData("Host=localhost", SslMode.Prefer)]
    [InlineData("Host=/var/run/postgresql", SslMode.Prefer)]
    [InlineData("Host=localhost;SSL Mode=VerifyCA", SslMode.VerifyCA)]
    public async Task Connections_off_this_machine_default_to_VerifyFull_and_allow_only_scram_or_no_password(string connectionString, SslMode expected)
    {
        await using var source = TargetConnector.Build(connectionString + ";Database=app", "rotator", PasswordGenerator.Generate(), null, pooling: false);

        var built = new NpgsqlConnectionStringBuilder(source.ConnectionString);

        Assert.Equal(expected, built.SslMode);
        Assert.Equal("ScramSHA256,None", built.RequireAuth);
    }

    [Fact]
    public async Task A_require_auth_in_the_target_connection_string_cannot_let_a_cleartext_password_through()
    {
        await using var source = TargetConnector.Build("Host=db.example;Require Auth=Password,MD5", "rotator", PasswordGenerator.Generate(), null, pooling: false);

        Assert.Equal("ScramSHA256,None", new NpgsqlConnectionStringBuilder(source.ConnectionString).RequireAuth);
    }

    [Theory]
    [InlineData("Host=db.example;SSL Mode=Disable", "SSL Mode=Disable sends the admin session unencrypted")]
    [InlineData("Host=db.example;SSL Mode=Prefer", "SSL Mode=Prefer may connect unencrypted and never checks the server's certificate")]
    [InlineData("Host=db.example;SSL Mode=Require", "SSL Mode=Require encrypts but never checks the server's certificate")]
    [InlineData("Host=db.example;SSL Mode=VerifyCA", "SSL Mode=VerifyCA checks who issued the server's certificate but not that it was issued for db.example")]
    public void A_weaker_ssl_mode_off_this_machine_gets_a_one_line_warning_naming_the_target(string connectionString, string risk)
    {
        var warning = TargetTls.Warning(new Target("orders-db", connectionString, "rotator", PasswordGenerator.Generate()));

        Assert.NotNull(warning);
        Assert.StartsWith($"target orders-db: {risk}, ", warning);
        Assert.DoesNotContain('\n', warning);
    }

    [Theory]
    [InlineData("Host=db.example")]
    [InlineData("Host=db.example;SSL Mode=VerifyFull")]
    [InlineData("Host=127.0.0.1;SSL Mode=Disable")]
    [InlineData("Host=/var/run/postgresql;SSL Mode=Disable")]
    public void VerifyFull_or_a_local_host_gets_no_warning(string connectionString) =>
        Assert.Null(TargetTls.Warning(new Target("orders-db", connectionString, "rotator", PasswordGenerator.Generate())));

    [Fact]
    public void Every_client_format_but_pgpass_carries_the_ssl_mode_root_certificate_and_channel_binding()
    {
        var credential = CredentialFor("Host=db.example;Port=5432;Database=orders;Root Certificate=/etc/pgrotate/ca.crt;Channel Binding=Require");

        var env = CredentialFormats.Render(credential, CredentialFormat.Env);
        Assert.Contains("PGSSLMODE='verify-full'\n", env);
        Assert.Contains("PGSSLROOTCERT='/etc/pgrotate/ca.crt'\n", env);
        Assert.Contains("PGCHANNELBINDING='require'\n", env);

        var service = CredentialFormats.Render(credential, CredentialFormat.Service);
        Assert.EndsWith("sslmode=verify-full\nsslrootcert=/etc/pgrotate/ca.crt\nchannel_binding=require\n", service);

        var conn = new NpgsqlConnectionStringBuilder(CredentialFormats.Render(credential, CredentialFormat.Conn).Trim());
        Assert.Equal((SslMode.VerifyFull, "/etc/pgrotate/ca.crt", ChannelBinding.Require), (conn.SslMode, conn.RootCertificate, conn.ChannelBinding));

        // A .pgpass line holds host:port:database:user:password and nothing else.
        Assert.Equal(4, CredentialFormats.Render(credential, CredentialFormat.Pgpass).Count(c => c == ':'));
    }

    [Fact]
    public void A_local_target_without_tls_settings_leaves_clients_their_defaults()
    {
        var credential = CredentialFor("Host=127.0.0.1;Port=5432;Database=orders");

        Assert.DoesNotContain("SSL", CredentialFormats.Render(credential, CredentialFormat.Env));
        Assert.DoesNotContain("ssl", CredentialFormats.Render(credential, CredentialFormat.Service));
        Assert.DoesNotContain("SSL", CredentialFormats.Render(credential, CredentialFormat.Conn));
    }

    [Fact]
    public void A_refused_certificate_is_not_retried_but_a_dropped_connection_is()
    {
        var refusedCertificate = PostgresErrors.Translate(
            new NpgsqlException("Exception while performing SSL handshake", new AuthenticationException("The remote certificate was rejected")), "target t");
        var dropped = PostgresErrors.Translate(new NpgsqlException("Exception while reading from stream", new IOException("reset")), "target t");

        Assert.Equal((ErrorCode.TargetUnreachable, "target t: TLS handshake failed: The remote certificate was rejected"), (refusedCertificate.Code, refusedCertificate.Message));
        Assert.False(PostgresErrors.IsTransient(refusedCertificate));
        Assert.Equal(ErrorCode.TargetUnreachable, dropped.Code);
        Assert.True(PostgresErrors.IsTransient(dropped));
    }

    private static Credential CredentialFor(string connectionString)
    {
        var target = new Target("orders-db", connectionString, "rotator", PasswordGenerator.Generate());
        return new Credential("orders/app", "orders_a", PasswordGenerator.Generate(), target.Host, target.Port, target.Database, 1, Stage.Current, null, null)
        {
            Tls = TargetTls.ForClients(target),
        };
    }
}

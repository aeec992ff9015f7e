using System.Text.Json;
using Npgsql;
using PgRotate.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Security;

/// <summary>
/// TLS to a target, against a cluster with ssl = on and a certificate for "localhost" from a test CA: VerifyFull passes
/// with the right root certificate and name, and refuses another name or another issuer with one clear line;
/// 'target check' reports TLS, the certificate check and the authentication method, and warns about a server that
/// accepts a wrong password; credentials handed to clients carry the TLS settings.
/// </summary>
public sealed class TlsTests(PostgresFixture postgres, TlsCluster tls) : IClassFixture<TlsCluster>
{
    private const int TargetUnreachable = 9;

    [Fact]
    public async Task VerifyFull_with_the_right_root_certificate_and_name_connects_and_target_check_reports_it()
    {
        using var sandbox = await InitializedAsync();
        var target = Unique.Name("tls").Replace('_', '-');

        var add = await AddSuperuserTargetAsync(sandbox, target, $"Host=localhost;SSL Mode=VerifyFull;Root Certificate={tls.CaFile}");

        add.Ok();
        Assert.Equal("", add.Error);
        var check = await sandbox.RunAsync("target", "check", target);
        var lines = check.Ok().Split('\n');
        Assert.Equal("", check.Error);
        Assert.Matches(@"^tls: on \(TLSv1\.[23], [A-Z0-9_-]+\), certificate verified: issuer and host name \(SSL Mode=VerifyFull\)$", lines[1]);
        Assert.Equal("auth: SCRAM-SHA-256-PLUS, a wrong password is refused", lines[2]);

        var json = JsonDocument.Parse((await sandbox.RunAsync("target", "check", target, "--json")).Ok()).RootElement;
        var tlsJson = json.GetProperty("tls");
        Assert.True(tlsJson.GetProperty("enabled").GetBoolean());
        Assert.StartsWith("TLSv1.", tlsJson.GetProperty("protocol").GetString());
        Assert.Equal("VerifyFull", tlsJson.GetProperty("sslMode").GetString());
        Assert.True(tlsJson.GetProperty("certificateIssuerVerified").GetBoolean());
        Assert.True(tlsJson.GetProperty("certificateNameVerified").GetBoolean());
        Assert.Equal("SCRAM-SHA-256-PLUS", json.GetProperty("authMethod").GetString());
        Assert.False(json.GetProperty("acceptsWrongPassword").GetBoolean());
        Assert.Empty(json.GetProperty("warnings").EnumerateArray());
    }

    [Fact]
    public async Task Target_check_reports_tls_off_and_plain_scram_on_a_server_without_tls()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();

        var lines = (await sandbox.RunAsync("target", "check", sandbox.TargetName)).Ok().Split('\n');

        Assert.Equal("tls: off (SSL Mode=Prefer)", lines[1]);
        Assert.Equal("auth: SCRAM-SHA-256, a wrong password is refused", lines[2]);
    }

    [Fact]
    public async Task VerifyFull_refuses_a_certificate_issued_for_another_name_in_one_line()
    {
        using var sandbox = await InitializedAsync();

        var line = (await AddSuperuserTargetAsync(sandbox, "wrong-name", $"Host=127.0.0.1;SSL Mode=VerifyFull;Root Certificate={tls.CaFile}"))
            .FailsWith(TargetUnreachable);

        Assert.Equal(
            $"pgrotate: target wrong-name (127.0.0.1:{tls.Cluster.Port}/postgres) as postgres: the TLS certificate of 127.0.0.1 is issued for localhost, not 127.0.0.1 (SSL Mode=VerifyFull checks the name): connect by a name the certificate holds, or have the server's certificate reissued",
            line);
        Assert.DoesNotContain("\"wrong-name\"", (await sandbox.RunAsync("target", "list", "--json")).Ok());
    }

    [Fact]
    public async Task VerifyFull_refuses_a_certificate_from_an_issuer_the_root_certificate_does_not_hold_in_one_line()
    {
        using var sandbox = await InitializedAsync();

        var line = (await AddSuperuserTargetAsync(sandbox, "wrong-ca", $"Host=localhost;SSL Mode=VerifyFull;Root Certificate={tls.OtherCaFile}"))
            .FailsWith(TargetUnreachable);

        Assert.StartsWith(
            $"pgrotate: target wrong-ca (localhost:{tls.Cluster.Port}/postgres) as postgres: the TLS certificate of localhost (issued by CN=pgrotate test CA) is not trusted by Root Certificate {tls.OtherCaFile}: ",
            line);
        Assert.EndsWith("; set Root Certificate=<file of the CA that issued it> in the target's connection string", line);
        Assert.DoesNotContain("SSL handshake", line);
    }

    [Fact]
    public async Task A_root_certificate_file_that_does_not_exist_is_named_in_one_line()
    {
        using var sandbox = await InitializedAsync();
        var missing = Path.Combine(tls.Directory, "missing-ca.crt");

        var line = (await AddSuperuserTargetAsync(sandbox, "missing-ca", $"Host=localhost;SSL Mode=VerifyFull;Root Certificate={missing}"))
            .FailsWith(TargetUnreachable);

        Assert.Equal(
            $"pgrotate: target missing-ca (localhost:{tls.Cluster.Port}/postgres) as postgres: Root Certificate {missing} does not exist, so the TLS certificate of localhost cannot be checked",
            line);
    }

    [Fact]
    public async Task A_mode_that_requires_tls_is_refused_in_one_line_by_a_server_without_tls()
    {
        using var sandbox = new CliSandbox(postgres);
        (await sandbox.RunAsync("init")).Ok();
        var cluster = postgres.Cluster;

        var line = (await sandbox.RunWithInputAsync(cluster.SuperuserPassword.Reveal() + "\n", "target", "add", "no-tls",
            "--conn", $"Host=localhost;Port={cluster.Port};Database=postgres;Username=postgres;SSL Mode=VerifyFull", "--password-stdin"))
            .FailsWith(TargetUnreachable);

        Assert.StartsWith($"pgrotate: target no-tls (localhost:{cluster.Port}/postgres) as postgres: the server at localhost offers no TLS, but SSL Mode=VerifyFull requires it", line);
    }

    [Fact]
    public async Task A_host_off_this_machine_is_verified_by_default_and_clients_get_the_same_tls_settings()
    {
        using var sandbox = await InitializedAsync();
        var target = Unique.Name("ha").Replace('_', '-');

        // Two hosts, one of them not this machine: no SSL Mode given, so pgrotate requires VerifyFull. Npgsql connects to
        // the first host that answers, localhost, whose certificate the test CA issued for that name.
        (await AddSuperuserTargetAsync(sandbox, target, $"Host=localhost,db.invalid;Root Certificate={tls.CaFile}")).Ok();
        var lines = (await sandbox.RunAsync("target", "check", target)).Ok().Split('\n');
        Assert.EndsWith("certificate verified: issuer and host name (SSL Mode=VerifyFull)", lines[1]);

        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", "tls/app", "--target", target, "--group", group)).Ok();
        var env = (await sandbox.RunAsync("get", "tls/app", "--format", "env")).Ok();
        Assert.Contains("PGSSLMODE='verify-full'\n", env);
        Assert.Contains($"PGSSLROOTCERT='{tls.CaFile}'\n", env);
        var service = (await sandbox.RunAsync("get", "tls/app", "--format", "service")).Ok();
        Assert.Contains("\nsslmode=verify-full\n", service);
        Assert.Contains($"\nsslrootcert={tls.CaFile}\n", service);

        var conn = new NpgsqlConnectionStringBuilder((await sandbox.RunAsync("get", "tls/app", "--format", "conn")).Ok().Trim());
        Assert.Equal((SslMode.VerifyFull, tls.CaFile), (conn.SslMode, conn.RootCertificate));
        await using var client = new NpgsqlConnection(conn.ConnectionString);
        await client.OpenAsync(TestContext.Current.CancellationToken);
        Assert.Equal($"{group}_a/{group}", await client.ScalarAsync<string>("SELECT session_user || '/' || current_user"));
        await client.ExecuteAsync("SET ROLE NONE"); // pg_stat_ssl shows a session's TLS details to its session user only
        Assert.True(await client.ScalarAsync<bool>("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"));
    }

    [Fact]
    public async Task An_explicit_weaker_ssl_mode_off_this_machine_is_used_with_a_warning_on_add_check_and_every_rotation()
    {
        using var sandbox = await InitializedAsync();
        var target = Unique.Name("weak").Replace('_', '-');
        var warning = $"pgrotate: warning: target {target}: SSL Mode=Disable sends the admin session unencrypted, so someone on the network path could read or take over the admin session and the SCRAM verifiers it sets; use SSL Mode=VerifyFull (with Root Certificate=<CA file> for a private CA)";

        var add = await AddSuperuserTargetAsync(sandbox, target, "Host=localhost,db.invalid;SSL Mode=Disable");
        add.Ok();
        Assert.Equal(warning + "\n", add.Error);

        var check = await sandbox.RunAsync("target", "check", target);
        Assert.Equal("tls: off (SSL Mode=Disable)", check.Ok().Split('\n')[1]);
        Assert.Equal(warning + "\n", check.Error);

        (await sandbox.RunAsync("secret", "add", "weak/app", "--target", target, "--group", Unique.Name("app"))).Ok();
        var rotate = await sandbox.RunAsync("rotate", "weak/app");
        rotate.Ok();
        Assert.Equal(warning + "\n", rotate.Error);
        Assert.Contains("PGSSLMODE='disable'\n", (await sandbox.RunAsync("get", "weak/app", "--format", "env")).Ok());

        // The same mode on this machine only is nobody's network path: no warning.
        var local = await AddSuperuserTargetAsync(sandbox, target + "-local", "Host=localhost;SSL Mode=Disable");
        local.Ok();
        Assert.Equal("", local.Error);
    }

    [Fact]
    public async Task Target_check_warns_when_the_server_accepts_a_wrong_password()
    {
        using var sandbox = await InitializedAsync();
        var trusted = Unique.Name("trusted");
        await using (var connection = await tls.Cluster.OpenSuperuserConnectionAsync(cancellationToken: TestContext.Current.CancellationToken))
        {
            await connection.ExecuteAsync($"CREATE ROLE {Sql.Identifier(trusted)} LOGIN CREATEROLE");
        }

        await tls.PrependHbaLineAsync($"host all {trusted} 127.0.0.1/32 trust");
        var target = Unique.Name("trust").Replace('_', '-');
        (await sandbox.RunWithInputAsync("any-password\n", "target", "add", target,
            "--conn", $"Host=127.0.0.1;Port={tls.Cluster.Port};Database=postgres;Username={trusted}", "--password-stdin")).Ok();

        var check = await sandbox.RunAsync("target", "check", target);

        var lines = check.Ok().Split('\n');
        Assert.Equal($"auth: none, the server asked {trusted} for no password (trust, peer or cert)", lines[2]);
        Assert.Equal(
            $"pgrotate: warning: target {target}: the server accepted a deliberately wrong password for {trusted} (pg_hba.conf trust, or peer/cert authentication): whoever reaches it logs in without a password, and a test login there proves nothing; use scram-sha-256 in pg_hba.conf\n",
            check.Error);
        var json = JsonDocument.Parse((await sandbox.RunAsync("target", "check", target, "--json")).Ok()).RootElement;
        Assert.True(json.GetProperty("acceptsWrongPassword").GetBoolean());
        Assert.Equal("none", json.GetProperty("authMethod").GetString());
    }

    private async Task<CliSandbox> InitializedAsync()
    {
        var sandbox = new CliSandbox(postgres);
        (await sandbox.RunAsync("init")).Ok();
        return sandbox;
    }

    /// <summary>'target add' for the TLS cluster's superuser; <paramref name="connection"/> gives Host and TLS settings.</summary>
    private Task<CliRun> AddSuperuserTargetAsync(CliSandbox sandbox, string name, string connection) =>
        sandbox.RunWithInputAsync(tls.Cluster.SuperuserPassword.Reveal() + "\n", "target", "add", name,
            "--conn", $"{connection};Port={tls.Cluster.Port};Database=postgres;Username=postgres", "--password-stdin");
}

using System.Text.Json;
using PgRotate.Credentials;
using PgRotate.Crypto;
using PgRotate.Secrets;
using PgRotate.Targets;

namespace PgRotate.Tests.Contracts;

/// <summary><c>get --format json</c> carries the TLS settings as the other formats do, under libpq's names and values.</summary>
public sealed class CredentialJsonTests
{
    [Fact]
    public void Json_carries_the_ssl_mode_root_certificate_and_channel_binding()
    {
        var json = Render("Host=db.example;Port=5432;Database=orders;Root Certificate=/etc/pgrotate/ca.crt;Channel Binding=Require");

        Assert.Equal(("verify-full", "/etc/pgrotate/ca.crt", "require"),
            (json.GetProperty("sslMode").GetString(), json.GetProperty("sslRootCert").GetString(), json.GetProperty("channelBinding").GetString()));
    }

    [Fact]
    public void Json_of_a_local_target_without_tls_settings_leaves_them_null()
    {
        var json = Render("Host=127.0.0.1;Port=5432;Database=orders");

        Assert.Equal([JsonValueKind.Null, JsonValueKind.Null, JsonValueKind.Null],
            new[] { "sslMode", "sslRootCert", "channelBinding" }.Select(name => json.GetProperty(name).ValueKind));
    }

    private static JsonElement Render(string connectionString)
    {
        var target = new Target("orders-db", connectionString, "rotator", PasswordGenerator.Generate());
        var credential = new Credential("orders/app", "orders_a", PasswordGenerator.Generate(), target.Host, target.Port, target.Database, 1, Stage.Current, null, null)
        {
            Tls = TargetTls.ForClients(target),
        };
        return JsonDocument.Parse(CredentialFormats.Render(credential, CredentialFormat.Json)).RootElement;
    }
}

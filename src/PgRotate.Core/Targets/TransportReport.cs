using Npgsql;
using PgRotate.Postgres;

namespace PgRotate.Targets;

/// <summary>
/// How the admin login to a target is secured, as 'target check' reports it: TLS as the server saw the session
/// (pg_stat_ssl), whether the certificate was verified (it was if the SSL Mode demands it, since the connection would
/// have failed otherwise), the authentication method (whether the server asked for the password, which only SCRAM may
/// do, and whether channel binding works), and whether the server also accepts a deliberately wrong password.
/// </summary>
public sealed record TransportReport(
    bool Tls,
    string? Protocol,
    string? Cipher,
    SslMode SslMode,
    bool CertificateIssuerVerified,
    bool CertificateNameVerified,
    string AuthMethod,
    bool AcceptsWrongPassword)
{
    public const string Scram = "SCRAM-SHA-256";
    public const string ScramPlus = "SCRAM-SHA-256-PLUS";
    public const string NoPassword = "none";

    public static async Task<TransportReport> InspectAsync(TargetConnector connector, Target target, CancellationToken cancellationToken)
    {
        var (connection, passwordRequested) = await connector.OpenAdminObservedAsync(target, null, cancellationToken).ConfigureAwait(false);
        bool tls;
        string? protocol, cipher;
        await using (connection.ConfigureAwait(false))
        {
            // SET ROLE NONE first: pg_stat_ssl shows a session only to roles with its session user's privileges, and an admin
            // login with a default role setting (ALTER ROLE … SET role) would see no row. This connection is used for nothing else.
            var command = new NpgsqlCommand("SET ROLE NONE; SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()", connection);
            await using (command.ConfigureAwait(false))
            {
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    var found = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    tls = found && !reader.IsDBNull(0) && reader.GetBoolean(0);
                    protocol = tls && !reader.IsDBNull(1) ? reader.GetString(1) : null;
                    cipher = tls && !reader.IsDBNull(2) ? reader.GetString(2) : null;
                }
            }
        }

        var mode = TargetTls.EffectiveSslMode(target.ConnectionString);
        var binding = new NpgsqlConnectionStringBuilder(target.ConnectionString).ChannelBinding;
        var method = !passwordRequested ? NoPassword
            : tls && binding != ChannelBinding.Disable && (binding == ChannelBinding.Require || await connector.AcceptsChannelBindingAsync(target, cancellationToken).ConfigureAwait(false))
                ? ScramPlus
                : Scram;
        var acceptsWrongPassword = await connector.AcceptsWrongPasswordAsync(target, cancellationToken).ConfigureAwait(false);
        return new TransportReport(tls, protocol, cipher, mode,
            tls && mode is SslMode.VerifyCA or SslMode.VerifyFull, tls && mode == SslMode.VerifyFull, method, acceptsWrongPassword);
    }

    /// <summary>"issuer and host name", "issuer only", "no" or "no TLS".</summary>
    public string CertificateCheck =>
        !Tls ? "no TLS" : CertificateNameVerified ? "issuer and host name" : CertificateIssuerVerified ? "issuer only, not the host name" : "no";

    /// <summary>The warning when the server let a wrong password in, or null.</summary>
    public string? TrustWarning(Target target) => AcceptsWrongPassword
        ? $"target {target.Name}: the server accepted a deliberately wrong password for {target.Username} (pg_hba.conf trust, or peer/cert authentication): whoever reaches it logs in without a password, and a test login there proves nothing; use scram-sha-256 in pg_hba.conf"
        : null;
}

using System.Globalization;
using System.Text;
using Npgsql;
using PgRotate.Errors;
using PgRotate.Secrets;
using PgRotate.Targets;
using PgRotate.Wire;

namespace PgRotate.Credentials;

/// <summary>The ways a credential is written out for clients: JSON, shell env, .pgpass line, Npgsql connection string, pg_service.conf section.</summary>
public enum CredentialFormat
{
    Json,
    Env,
    Pgpass,
    Conn,
    Service,
}

public static class CredentialFormats
{
    public static CredentialFormat Parse(string text) => text switch
    {
        "json" => CredentialFormat.Json,
        "env" => CredentialFormat.Env,
        "pgpass" => CredentialFormat.Pgpass,
        "conn" => CredentialFormat.Conn,
        "service" => CredentialFormat.Service,
        _ => throw PgRotateException.InvalidInput($"unknown format {Postgres.Sql.Printable(text)}: use json, env, pgpass, conn or service"),
    };

    public static string Render(Credential c, CredentialFormat format) => format switch
    {
        CredentialFormat.Json => Contracts.PgRotateJson.Serialize(c.ToContract()) + "\n",
        CredentialFormat.Env => string.Join("\n",
            [
                $"PGHOST={Shell(c.Host)}", $"PGPORT={c.Port.ToString(CultureInfo.InvariantCulture)}", $"PGDATABASE={Shell(c.Database)}",
                $"PGUSER={Shell(c.Username)}", $"PGPASSWORD={Shell(c.Password.Reveal())}",
                .. LibpqTls(c.Tls).Select(p => $"PG{p.Key.Replace("_", "", StringComparison.Ordinal).ToUpperInvariant()}={Shell(p.Value)}"),
            ]) + "\n",
        CredentialFormat.Pgpass => string.Join(':', Pgpass(c.Host), c.Port.ToString(CultureInfo.InvariantCulture), Pgpass(c.Database), Pgpass(c.Username), Pgpass(c.Password.Reveal())) + "\n",
        CredentialFormat.Conn => Conn(c) + "\n",
        CredentialFormat.Service => new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"[{c.Name.Replace('/', '_')}]\n")
            .Append(CultureInfo.InvariantCulture, $"host={c.Host}\nport={c.Port}\ndbname={c.Database}\nuser={c.Username}\npassword={c.Password.Reveal()}\n")
            .Append(string.Concat(LibpqTls(c.Tls).Select(p => $"{p.Key}={p.Value}\n")))
            .ToString(),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    private static string Conn(Credential c)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = c.Host, Port = c.Port, Database = c.Database, Username = c.Username, Password = c.Password.Reveal(),
        };
        if (c.Tls.SslMode is { } mode)
        {
            builder.SslMode = mode;
        }

        if (c.Tls.RootCertificate is { } root)
        {
            builder.RootCertificate = root;
        }

        if (c.Tls.ChannelBinding is { } binding)
        {
            builder.ChannelBinding = binding;
        }

        return builder.ConnectionString;
    }

    /// <summary>
    /// The TLS settings as libpq connection parameters (sslmode, sslrootcert, channel_binding): pg_service.conf keys, and
    /// with "PG" prefixed and '_' dropped, the environment variables (PGSSLMODE, PGSSLROOTCERT, PGCHANNELBINDING).
    /// </summary>
    private static IEnumerable<KeyValuePair<string, string>> LibpqTls(ClientTls tls)
    {
        if (tls.SslMode is { } mode)
        {
            yield return new("sslmode", TargetTls.LibpqName(mode));
        }

        if (tls.RootCertificate is { } root)
        {
            yield return new("sslrootcert", root);
        }

        if (tls.ChannelBinding is { } binding)
        {
            yield return new("channel_binding", TargetTls.LibpqName(binding));
        }
    }

    /// <summary>.pgpass escapes ':' and '\' with a backslash.</summary>
    private static string Pgpass(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(":", "\\:", StringComparison.Ordinal);

    private static string Shell(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

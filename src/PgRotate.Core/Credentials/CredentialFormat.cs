using System.Globalization;
using System.Text;
using System.Text.Json;
using Npgsql;
using PgRotate.Errors;
using PgRotate.Secrets;

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
        CredentialFormat.Json => JsonSerializer.Serialize(new
        {
            name = c.Name, username = c.Username, password = c.Password.Reveal(), host = c.Host, port = c.Port, database = c.Database,
            version = c.Version, stage = c.Stage.WireName(), rotatedAt = c.RotatedAt, validUntil = c.ValidUntil,
        }, new JsonSerializerOptions { WriteIndented = true }) + "\n",
        CredentialFormat.Env => string.Join("\n",
            $"PGHOST={Shell(c.Host)}", $"PGPORT={c.Port.ToString(CultureInfo.InvariantCulture)}", $"PGDATABASE={Shell(c.Database)}",
            $"PGUSER={Shell(c.Username)}", $"PGPASSWORD={Shell(c.Password.Reveal())}") + "\n",
        CredentialFormat.Pgpass => string.Join(':', Pgpass(c.Host), c.Port.ToString(CultureInfo.InvariantCulture), Pgpass(c.Database), Pgpass(c.Username), Pgpass(c.Password.Reveal())) + "\n",
        CredentialFormat.Conn => new NpgsqlConnectionStringBuilder
        {
            Host = c.Host, Port = c.Port, Database = c.Database, Username = c.Username, Password = c.Password.Reveal(),
        }.ConnectionString + "\n",
        CredentialFormat.Service => new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"[{c.Name.Replace('/', '_')}]\n")
            .Append(CultureInfo.InvariantCulture, $"host={c.Host}\nport={c.Port}\ndbname={c.Database}\nuser={c.Username}\npassword={c.Password.Reveal()}\n")
            .ToString(),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    /// <summary>.pgpass escapes ':' and '\' with a backslash.</summary>
    private static string Pgpass(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(":", "\\:", StringComparison.Ordinal);

    private static string Shell(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

using System.Globalization;
using System.Text.RegularExpressions;
using PgRotate.Contracts;
using PgRotate.Errors;

namespace PgRotate.Cli.Commands.Agent;

/// <summary>
/// One line of pgbouncer's <c>[databases]</c> section, <c>ALIAS = host=… port=… dbname=… user=… password=…</c>, for
/// a file that pgbouncer.ini pulls in with <c>%include</c>: the login pgbouncer opens its server connections with.
/// TLS towards the server is not per database in pgbouncer (server_tls_sslmode and server_tls_ca_file in
/// pgbouncer.ini), so the credential's TLS settings have no place here.
/// </summary>
internal sealed partial class PgBouncerDatabaseRenderer : ICredentialRenderer
{
    public PgBouncerDatabaseRenderer(string alias)
    {
        // pgbouncer reads the alias as an ini key; keeping to plain characters means it needs no quoting.
        if (!AliasPattern().IsMatch(alias))
        {
            throw PgRotateException.InvalidInput($"pgbouncer database alias {Postgres.Sql.Printable(alias)}: use letters, digits, '_', '-' and '.'");
        }

        Alias = alias;
    }

    public string Alias { get; }

    /// <summary>The section header, so the file means the same wherever pgbouncer.ini includes it.</summary>
    public string FileHeader => "[databases]\n";

    public bool Combinable => true;

    public string Render(Credential credential) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{Alias} = host={Value(credential.Host)} port={credential.Port} dbname={Value(credential.Database)} user={Value(credential.Username)} password={Value(credential.Password)}\n");

    /// <summary>
    /// pgbouncer's connection-string values: bare when plain, else in single quotes with a quote doubled. A line break
    /// would end the ini line and let the rest be read as another setting, so it is refused.
    /// </summary>
    private static string Value(string value)
    {
        if (value.Any(char.IsControl))
        {
            throw new PgRotateException(ErrorCode.InvalidInput, "a credential field holds a control character; it cannot be written to a pgbouncer file");
        }

        return PlainValue().IsMatch(value) ? value : "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
    }

    [GeneratedRegex(@"\A[A-Za-z0-9_.\-]+\z")]
    private static partial Regex AliasPattern();

    [GeneratedRegex(@"\A[A-Za-z0-9_.\-/:]+\z")]
    private static partial Regex PlainValue();
}

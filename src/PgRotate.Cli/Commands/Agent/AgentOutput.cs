using PgRotate.Credentials;
using PgRotate.Errors;
using PgRotate.Secrets;

namespace PgRotate.Cli.Commands.Agent;

/// <summary>One secret written to one file in one form: what a <c>--render</c> or <c>--pgbouncer-databases</c> names.</summary>
/// <param name="Kind">The form's name (service, template=…, pgbouncer); only outputs of one kind share a file.</param>
internal sealed record AgentOutput(string Secret, string Kind, string Path, ICredentialRenderer Renderer)
{
    public const string Formats = "service, pgpass, env, json, conn or template=FILE";

    /// <summary><c>SECRET:FORMAT:PATH</c>, FORMAT one of <see cref="Formats"/>.</summary>
    public static async Task<AgentOutput> ParseRenderAsync(string text, CliHost host, CancellationToken cancellationToken)
    {
        var (secret, format, path) = Split(text, "--render", "SECRET:FORMAT:PATH");
        if (format.StartsWith("template=", StringComparison.Ordinal))
        {
            var template = host.ResolvePath(format["template=".Length..]);
            return new AgentOutput(secret, format, host.ResolvePath(path), await TemplateRenderer.LoadAsync(template, cancellationToken));
        }

        if (format is not ("service" or "pgpass" or "env" or "json" or "conn"))
        {
            throw PgRotateException.InvalidInput($"--render {Postgres.Sql.Printable(text)}: unknown format {Postgres.Sql.Printable(format)}; use {Formats}");
        }

        return new AgentOutput(secret, format, host.ResolvePath(path), new FormatRenderer(CredentialFormats.Parse(format)));
    }

    /// <summary><c>SECRET:ALIAS:PATH</c>: the line for database ALIAS in pgbouncer's <c>[databases]</c> include at PATH.</summary>
    public static AgentOutput ParsePgBouncer(string text, CliHost host)
    {
        var (secret, alias, path) = Split(text, "--pgbouncer-databases", "SECRET:ALIAS:PATH");
        return new AgentOutput(secret, "pgbouncer", host.ResolvePath(path), new PgBouncerDatabaseRenderer(alias));
    }

    private static (string Secret, string Middle, string Path) Split(string text, string option, string shape)
    {
        var parts = text.Split(':', 3);
        if (parts.Length != 3 || parts.Any(string.IsNullOrEmpty))
        {
            throw PgRotateException.InvalidInput($"{option} {Postgres.Sql.Printable(text)}: expected {shape}, e.g. orders/app:{(option == "--render" ? "service" : "orders")}:/etc/…");
        }

        return (SecretName.ParseSecret(parts[0]), parts[1], parts[2]);
    }
}

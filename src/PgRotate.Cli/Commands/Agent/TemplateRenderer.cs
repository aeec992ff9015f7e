using System.Globalization;
using Fluid;
using Credential = PgRotate.Contracts.Credential;
using CredentialStage = PgRotate.Contracts.CredentialStage;
using PgRotate.Credentials;
using PgRotate.Errors;

namespace PgRotate.Cli.Commands.Agent;

/// <summary>
/// A user's Liquid template (Fluid), for files no built-in format covers. The variables are the credential's fields in
/// snake case, plus the built-in formats ready-made (<c>{{ conn }}</c>, <c>{{ service }}</c>, …). A variable the
/// template names that does not exist is refused when the agent starts, not rendered as an empty string into a
/// config file.
/// </summary>
internal sealed class TemplateRenderer : ICredentialRenderer
{
    public static readonly IReadOnlyList<string> Variables =
    [
        "name", "username", "password", "host", "port", "database", "version", "stage", "sslmode", "sslrootcert", "channel_binding",
        "rotated_at", "valid_until", "conn", "service", "pgpass", "env", "json",
    ];

    private readonly IFluidTemplate _template;
    private readonly TemplateOptions _options;

    private TemplateRenderer(IFluidTemplate template, TemplateOptions options)
    {
        _template = template;
        _options = options;
    }

    public bool Combinable => false;

    public static async Task<TemplateRenderer> LoadAsync(string file, CancellationToken cancellationToken)
    {
        var text = await InputFile.ReadAsync(file, "the template", cancellationToken);
        if (!new FluidParser().TryParse(text, out var template, out var error))
        {
            throw PgRotateException.InvalidInput($"the template {file} is not valid Liquid: {CliApp.OneLine(error)}");
        }

        var options = new TemplateOptions { CultureInfo = CultureInfo.InvariantCulture };
        var unknown = new List<string>();
        options.Undefined = name =>
        {
            unknown.Add(name);
            return ValueTask.FromResult<Fluid.Values.FluidValue>(Fluid.Values.NilValue.Instance);
        };
        var renderer = new TemplateRenderer(template, options);
        // A trial render on a made-up credential finds misspelt variables now.
        renderer.Render(new Credential("example/secret", "example_a", "example", "localhost", 5432, "example", 1, CredentialStage.Current, null, null, null, null, null));
        if (unknown.Count > 0)
        {
            throw PgRotateException.InvalidInput(
                $"the template {file} uses {string.Join(", ", unknown.Distinct(StringComparer.Ordinal).Select(n => $"'{n}'"))}, which is not a credential variable; use {string.Join(", ", Variables)}");
        }

        options.Undefined = null;
        return renderer;
    }

    public string Render(Credential credential)
    {
        var engine = Credentials.Credential.FromContract(credential);
        var context = new TemplateContext(_options);
        context.SetValue("name", credential.Name);
        context.SetValue("username", credential.Username);
        context.SetValue("password", credential.Password);
        context.SetValue("host", credential.Host);
        context.SetValue("port", credential.Port);
        context.SetValue("database", credential.Database);
        context.SetValue("version", credential.Version);
        context.SetValue("stage", credential.Stage.ToString().ToLowerInvariant());
        SetOptional(context, "sslmode", credential.SslMode);
        SetOptional(context, "sslrootcert", credential.SslRootCert);
        SetOptional(context, "channel_binding", credential.ChannelBinding);
        SetOptional(context, "rotated_at", credential.RotatedAt?.ToString("O", CultureInfo.InvariantCulture));
        SetOptional(context, "valid_until", credential.ValidUntil?.ToString("O", CultureInfo.InvariantCulture));
        context.SetValue("conn", CredentialFormats.Render(engine, CredentialFormat.Conn).TrimEnd('\n'));
        context.SetValue("service", CredentialFormats.Render(engine, CredentialFormat.Service));
        context.SetValue("pgpass", CredentialFormats.Render(engine, CredentialFormat.Pgpass));
        context.SetValue("env", CredentialFormats.Render(engine, CredentialFormat.Env));
        context.SetValue("json", CredentialFormats.Render(engine, CredentialFormat.Json));
        // No encoder: a config file is not HTML, and a password with '&' must be written as it is.
        return _template.Render(context, NullEncoder.Default);
    }

    /// <summary>An absent value is nil, so that <c>{% if sslmode %}</c> is false (an empty string would be true in Liquid).</summary>
    private static void SetOptional(TemplateContext context, string name, string? value) =>
        context.SetValue(name, value is null ? Fluid.Values.NilValue.Instance : new Fluid.Values.StringValue(value));
}

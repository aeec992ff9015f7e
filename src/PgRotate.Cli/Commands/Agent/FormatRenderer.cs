using Credential = PgRotate.Contracts.Credential;
using PgRotate.Credentials;

namespace PgRotate.Cli.Commands.Agent;

/// <summary>The formats of <c>pgrotate get --format</c>, written by the same code, so a file the agent keeps matches what get prints.</summary>
internal sealed class FormatRenderer(CredentialFormat format) : ICredentialRenderer
{
    public bool Combinable => format is CredentialFormat.Service or CredentialFormat.Pgpass;

    public string Render(Credential credential) => CredentialFormats.Render(Credentials.Credential.FromContract(credential), format);
}

using PgRotate.Contracts;

namespace PgRotate.Cli.Commands.Agent;

/// <summary>Turns one secret's credential into the text it contributes to a file the agent keeps current.</summary>
internal interface ICredentialRenderer
{
    /// <summary>
    /// True when several secrets' texts may share one file, one after the other (pg_service.conf sections, .pgpass
    /// lines, pgbouncer database lines); false for formats that describe a single credential (env, json, a template).
    /// </summary>
    bool Combinable { get; }

    /// <summary>What the file starts with, once, before the secrets' texts.</summary>
    string FileHeader => "";

    string Render(Credential credential);
}

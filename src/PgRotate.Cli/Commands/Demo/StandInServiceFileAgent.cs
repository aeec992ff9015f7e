using PgRotate.Credentials;
using PgRotate.Crypto;

namespace PgRotate.Cli.Commands.Demo;

/// <summary>
/// Keeps a pg_service.conf current from the API's long-poll, written atomically (temporary file, mode 0600, rename),
/// as <c>pgrotate agent</c> does; stands in for the agent until it is part of pgrotate.
/// </summary>
internal sealed class StandInServiceFileAgent(DemoApi api, string path)
{
    public async Task RunAsync(Contracts.Credential first, CancellationToken cancellationToken)
    {
        var known = first;
        await WriteAsync(known, cancellationToken);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (await api.WaitForChangeAsync(known.Version, cancellationToken) is { } newer)
                {
                    known = newer;
                    await WriteAsync(known, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public async Task WriteAsync(Contracts.Credential c, CancellationToken cancellationToken)
    {
        var credential = new Credential(c.Name, c.Username, new SecretText(c.Password), c.Host, c.Port, c.Database, c.Version, Secrets.Stage.Current, c.RotatedAt, c.ValidUntil);
        var temporary = path + ".tmp";
        await using (var file = new FileStream(temporary, new FileStreamOptions
        {
            Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        await using (var writer = new StreamWriter(file))
        {
            await writer.WriteAsync(CredentialFormats.Render(credential, CredentialFormat.Service).AsMemory(), cancellationToken);
        }

        File.Move(temporary, path, overwrite: true);
    }
}

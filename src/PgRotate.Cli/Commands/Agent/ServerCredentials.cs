using System.Net;
using PgRotate.Client;
using PgRotate.Contracts;
using PgRotate.Errors;

namespace PgRotate.Cli.Commands.Agent;

/// <summary>
/// The secrets the agent follows, through the server's API: one <see cref="CredentialWatcher"/> per secret (the
/// client library's long-poll, periodic refresh and backoff while the server is away), started before the agent
/// writes anything, so that a wrong token or secret name is one clear line at start.
/// </summary>
internal sealed class ServerCredentials : IAsyncDisposable
{
    private readonly PgRotateApiClient _api;
    private readonly Dictionary<string, CredentialWatcher> _watchers;

    private ServerCredentials(PgRotateApiClient api, Dictionary<string, CredentialWatcher> watchers)
    {
        _api = api;
        _watchers = watchers;
    }

    public static async Task<ServerCredentials> StartAsync(PgRotateClientOptions options, IEnumerable<string> secrets, TextWriter warnings, CancellationToken cancellationToken)
    {
        if (options.Validate(requireSecret: false) is [var problem, ..])
        {
            throw PgRotateException.InvalidInput(problem);
        }

        PgRotateApiClient api;
        try
        {
            api = await PgRotateApiClient.CreateAsync(options, cancellationToken: cancellationToken);
        }
        catch (PgRotateApiException e)
        {
            throw Translate(e);
        }

        var watchers = new Dictionary<string, CredentialWatcher>(StringComparer.Ordinal);
        try
        {
            foreach (var secret in secrets)
            {
                watchers[secret] = await CredentialWatcher.StartAsync(api, secret, options.WatcherSettings, new StderrLog(warnings), cancellationToken: cancellationToken);
            }
        }
        catch (PgRotateApiException e)
        {
            await new ServerCredentials(api, watchers).DisposeAsync();
            throw Translate(e);
        }
        catch
        {
            await new ServerCredentials(api, watchers).DisposeAsync();
            throw;
        }

        return new ServerCredentials(api, watchers);
    }

    public IAsyncEnumerable<Credential> Watch(string secret, CancellationToken cancellationToken) => _watchers[secret].WatchAsync(cancellationToken);

    /// <summary>The API's answer as pgrotate's exit codes: 401 as authentication failed, 403 as permission denied, 404 as not found.</summary>
    private static PgRotateException Translate(PgRotateApiException e) => new(
        e.StatusCode switch
        {
            HttpStatusCode.Unauthorized => ErrorCode.AuthenticationFailed,
            HttpStatusCode.Forbidden => ErrorCode.PermissionDenied,
            HttpStatusCode.NotFound => ErrorCode.NotFound,
            HttpStatusCode.BadRequest => ErrorCode.InvalidInput,
            _ => ErrorCode.EnvironmentError,
        },
        CliApp.OneLine(e.Message));

    public async ValueTask DisposeAsync()
    {
        foreach (var watcher in _watchers.Values)
        {
            await watcher.DisposeAsync();
        }

        _api.Dispose();
    }
}

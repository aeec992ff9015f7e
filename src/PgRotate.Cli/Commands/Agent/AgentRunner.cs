using System.Threading.Channels;
using PgRotate.Contracts;

namespace PgRotate.Cli.Commands.Agent;

/// <summary>
/// The agent's loop: takes each secret's credentials as they arrive (the first at once, then each new one the moment
/// the server reports it), rewrites every file that holds that secret when its content changed, has pgbouncer reload
/// when one of its files changed, runs the hook, and logs one line per file written (secret, version, login; never
/// the password). Until stopped, or with <c>once</c> until every secret's first credential is written.
/// </summary>
internal sealed class AgentRunner(
    IReadOnlyList<RenderedFile> files,
    Func<string, CancellationToken, IAsyncEnumerable<Credential>> watch,
    TextWriter log,
    TextWriter warnings)
{
    public ExecHook? Exec { get; init; }
    public PgBouncerReload? PgBouncer { get; init; }

    /// <summary>
    /// Called with a secret's previous and new credential once the new one is in every file that holds the secret and
    /// the hook ran: a lease the agent replaced may then be revoked (after a grace). Not called when a write failed,
    /// since a file still holds the previous credential then.
    /// </summary>
    public Action<Credential, Credential>? Superseded { get; init; }

    public IReadOnlySet<string> Secrets { get; } = files.SelectMany(f => f.Secrets).ToHashSet(StringComparer.Ordinal);

    public async Task RunAsync(bool once, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var updates = Channel.CreateUnbounded<Credential>(new UnboundedChannelOptions { SingleReader = true });
        var watchers = Secrets.Select(secret => ForwardAsync(secret, updates.Writer, stop.Token)).ToList();
        // Sources that all ended (they normally never do) end the loop rather than leave it waiting forever.
        _ = Task.WhenAll(watchers).ContinueWith(_ => updates.Writer.TryComplete(), TaskScheduler.Default);
        try
        {
            var latest = new Dictionary<string, Credential>(StringComparer.Ordinal);
            await foreach (var credential in updates.Reader.ReadAllAsync(cancellationToken))
            {
                if (latest.TryGetValue(credential.Name, out var known) && known == credential)
                {
                    continue;
                }

                latest[credential.Name] = credential;
                if (await ApplyAsync(credential, latest, cancellationToken) && known is not null)
                {
                    Superseded?.Invoke(known, credential);
                }
                if (once && latest.Count == Secrets.Count)
                {
                    return;
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(watchers.Select(w => w.ContinueWith(_ => { }, TaskScheduler.Default)));
        }
    }

    private async Task ForwardAsync(string secret, ChannelWriter<Credential> writer, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var credential in watch(secret, cancellationToken))
            {
                await writer.WriteAsync(credential, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // The loop ends with this failure: an agent that silently stopped watching would let files go stale.
            writer.TryComplete(e);
        }
    }

    /// <summary>Writes every file that holds the credential's secret; false when one of them could not be written.</summary>
    private async Task<bool> ApplyAsync(Credential credential, IReadOnlyDictionary<string, Credential> latest, CancellationToken cancellationToken)
    {
        var written = new List<RenderedFile>();
        var complete = true;
        foreach (var file in files.Where(f => f.Secrets.Contains(credential.Name)))
        {
            if (file.Render(latest) is not { } content)
            {
                continue;
            }

            try
            {
                if (await AtomicFile.WriteIfChangedAsync(file.Path, content, cancellationToken))
                {
                    written.Add(file);
                    await log.WriteLineAsync($"rendered {file.Path}: {credential.Name} version {credential.Version}, login {credential.Username}");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The previous file stays in place and is still valid during the grace; the next change tries again.
                await warnings.WriteLineAsync($"pgrotate: warning: could not write {file.Path} for {credential.Name} version {credential.Version}: {e.Message}");
                complete = false;
            }
        }

        await log.FlushAsync(cancellationToken);
        if (written.Count == 0)
        {
            return complete;
        }

        if (PgBouncer is not null && written.Any(f => f.IsPgBouncer) && await PgBouncer.ReloadAsync(cancellationToken))
        {
            await log.WriteLineAsync($"reloaded pgbouncer (pid file {PgBouncer.PidFile})");
        }

        if (Exec is not null)
        {
            await Exec.RunAsync(credential, cancellationToken);
        }

        await log.FlushAsync(cancellationToken);
        return complete;
    }
}

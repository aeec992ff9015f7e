using System.Collections.Concurrent;
using System.Text.Json;
using PgRotate.Contracts;
using PgRotate.Secrets;
using PgRotate.Store;
using PgRotate.Wire;

namespace PgRotate.Server.Caching;

/// <summary>
/// The answers of <c>GET /v1/secrets/{name}</c>, read from the store, decrypted and serialised once per version instead
/// of once per request. An entry is dropped by <see cref="Invalidate"/> (this server's rotations, and the store's change
/// feed for everyone else's) and after <see cref="ServerSettings.CredentialCacheTime"/> at the latest, for changes the
/// feed does not signal (a target moved by <c>target update</c>).
/// </summary>
/// <remarks>
/// An entry is a load in progress or done, put in place before the store is read: requests that miss together (every
/// long-poll of a secret woken by one rotation) share one read. Invalidation removes the entry, so a load that started
/// before a rotation is never kept for requests after it, even if it finishes later.
/// </remarks>
internal sealed class CredentialCache(ISecretStore store, TimeProvider time, ServerSettings settings)
{
    private readonly ConcurrentDictionary<(string Name, Stage Stage), Entry> _entries = new();

    /// <summary>
    /// The answer for <paramref name="name"/> in <paramref name="stage"/>; a secret that does not exist is <c>NotFound</c>
    /// (never cached). The load is not cancelled by one caller, since others may share it. <paramref name="fresh"/>
    /// (the request said <c>Cache-Control: no-cache</c>) reads the store again: a client whose login was just refused
    /// asks so, because another process's rotation reaches this cache only when the change feed reports it.
    /// </summary>
    public async Task<CachedCredential> GetAsync(string name, Stage stage, CancellationToken cancellationToken, bool fresh = false)
    {
        var key = (name, stage);
        var now = time.GetUtcNow();
        var entry = _entries.GetOrAdd(key, Start, now);
        if (entry.Load.IsCompleted && (fresh || !entry.Load.IsCompletedSuccessfully || now - entry.LoadedAt >= settings.CredentialCacheTime))
        {
            // Too old, or a failure the next request retries rather than inherits.
            _entries.TryRemove(new KeyValuePair<(string, Stage), Entry>(key, entry));
            entry = _entries.GetOrAdd(key, Start, now);
        }

        try
        {
            return await entry.Load.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (entry.Load.IsFaulted)
        {
            _entries.TryRemove(new KeyValuePair<(string, Stage), Entry>(key, entry));
            throw;
        }
    }

    /// <summary>Drops what is kept of <paramref name="secret"/> (null: of every secret), after a change to it was committed.</summary>
    public void Invalidate(string? secret)
    {
        foreach (var key in _entries.Keys)
        {
            if (secret is null || key.Name == secret || (_entries.TryGetValue(key, out var entry) && entry.Load.IsCompletedSuccessfully && entry.Load.Result.Secret == secret))
            {
                _entries.TryRemove(key, out _);
            }
        }
    }

    // On the thread pool: the factory of GetOrAdd must not run the store's reads itself.
    private Entry Start((string Name, Stage Stage) key, DateTimeOffset now) => new(Task.Run(() => LoadAsync(key.Name, key.Stage)), now);

    private async Task<CachedCredential> LoadAsync(string name, Stage stage)
    {
        var secret = await store.GetSecretAsync(name, CancellationToken.None).ConfigureAwait(false);
        var version = await store.FindVersionAsync(secret.Name, stage, CancellationToken.None).ConfigureAwait(false);
        if (version is null)
        {
            return new CachedCredential(secret.Name, null, ReadOnlyMemory<byte>.Empty);
        }

        var target = await store.GetTargetAsync(secret.Target, CancellationToken.None).ConfigureAwait(false);
        var json = JsonSerializer.SerializeToUtf8Bytes(Credentials.Credential.From(secret, target, version).ToContract(), PgRotateJson.Options);
        return new CachedCredential(secret.Name, version.Number, json);
    }

    private sealed record Entry(Task<CachedCredential> Load, DateTimeOffset LoadedAt);
}

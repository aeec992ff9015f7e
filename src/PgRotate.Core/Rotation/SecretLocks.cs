using System.Security.Cryptography;
using System.Text;
using PgRotate.Errors;

namespace PgRotate.Rotation;

/// <summary>
/// One rotator per secret at a time, across processes sharing the store: an exclusive OS file lock (flock) on a file
/// per secret beside the store. The kernel drops it when its holder dies, so a crashed rotation never leaves a stale
/// lock behind, and the next run resumes at once.
/// </summary>
public sealed class SecretLocks(string storePath, TimeProvider time)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private string Folder => storePath + ".locks";

    /// <summary>
    /// Takes the lock on <paramref name="key"/> (a secret name, or <c>target:NAME</c> for a target's admin password);
    /// with a null <paramref name="wait"/>, fails at once with <see cref="ErrorCode.RotationInProgress"/> when held.
    /// <paramref name="what"/> names the locked thing in that error (default: "secret KEY").
    /// </summary>
    public async Task<IDisposable> AcquireAsync(string key, TimeSpan? wait, CancellationToken cancellationToken, string? what = null)
    {
        Directory.CreateDirectory(Folder);
        // A digest, not the name itself: a 128-character name in hex is longer than a file name may be (255 bytes),
        // and the open would fail with an error that must not be mistaken for a lock held by another process.
        var path = Path.Combine(Folder, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))) + ".lock");
        var started = time.GetTimestamp();
        while (true)
        {
            try
            {
                return new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.OpenOrCreate,
                    Access = FileAccess.ReadWrite,
                    Share = FileShare.None,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
            }
            // A lock held elsewhere is a plain IOException (EWOULDBLOCK from flock); its subclasses (path too long,
            // folder gone) are real failures and propagate as they are.
            catch (IOException e) when (e.GetType() == typeof(IOException) && wait is { } limit && time.GetElapsedTime(started) < limit)
            {
                await Task.Delay(PollInterval, time, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e) when (e.GetType() == typeof(IOException))
            {
                throw new PgRotateException(ErrorCode.RotationInProgress,
                    $"{what ?? "secret " + key} is being rotated by another pgrotate process" + (wait is null ? "; use --wait to wait for it" : $"; gave up after {wait.Value.TotalSeconds:0}s"), e);
            }
        }
    }
}

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

    /// <summary>Takes the lock; with a null <paramref name="wait"/>, fails at once with <see cref="ErrorCode.RotationInProgress"/> when held.</summary>
    public async Task<IDisposable> AcquireAsync(string secret, TimeSpan? wait, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Folder);
        var path = Path.Combine(Folder, Convert.ToHexStringLower(Encoding.UTF8.GetBytes(secret)) + ".lock");
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
            catch (IOException) when (wait is { } limit && time.GetElapsedTime(started) < limit)
            {
                await Task.Delay(PollInterval, time, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new PgRotateException(ErrorCode.RotationInProgress,
                    $"secret {secret} is being rotated by another pgrotate process" + (wait is null ? "; use --wait to wait for it" : $"; gave up after {wait.Value.TotalSeconds:0}s"), e);
            }
        }
    }
}

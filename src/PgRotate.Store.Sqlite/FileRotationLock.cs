using System.Security.Cryptography;
using System.Text;
using PgRotate.Errors;
using PgRotate.Local;
using PgRotate.Rotation;

namespace PgRotate.Store.Sqlite;

/// <summary>
/// The rotation lock of the SQLite store: one rotator per key at a time, across processes sharing the store file, by an
/// exclusive OS file lock (flock) on a file per key in <paramref name="folder"/> (<c>STORE.locks</c>, beside the store).
/// The kernel drops it when its holder dies, so a crashed rotation never leaves a stale
/// lock behind, and the next run resumes at once.
/// </summary>
/// <remarks>
/// The lock folder (<c>STORE.locks</c>) must be a real folder, owned by the user running pgrotate and writable by
/// nobody else; it is created 0700. Otherwise another local user could pre-create it, or plant symbolic links in it,
/// and make pgrotate (often root) create or truncate files where they choose, or squat a lock to block rotations.
/// </remarks>
internal sealed class FileRotationLock(string folder, TimeProvider time) : IRotationLock
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private string Folder => folder;

    /// <summary>
    /// Takes the lock on <paramref name="key"/>; with a null <paramref name="wait"/>, fails at once with
    /// <see cref="ErrorCode.RotationInProgress"/> when held. Disposing the result closes the file, which releases it.
    /// </summary>
    public async Task<IAsyncDisposable> AcquireAsync(LockKey key, TimeSpan? wait, CancellationToken cancellationToken)
    {
        EnsureSafeFolder();
        // A digest, not the name itself: a 128-character name in hex is longer than a file name may be (255 bytes),
        // and the open would fail with an error that must not be mistaken for a lock held by another process.
        var path = Path.Combine(Folder, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key.Value))) + ".lock");
        var started = time.GetTimestamp();
        while (true)
        {
            // .NET has no O_NOFOLLOW: the path is checked without following a link, then opened. Between the two,
            // only someone who can write the folder could swap in a link, and the folder check above leaves that to
            // this user (and root) alone; so the remaining race is with ourselves.
            if (UnixFileStatus.Read(path) is { IsSymbolicLink: true })
            {
                throw Unsafe($"the lock file {path} is a symbolic link; remove it (pgrotate recreates it)");
            }

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
                    $"{key.Description} is being rotated by another pgrotate process" + (wait is null ? "; use --wait to wait for it" : $"; gave up after {wait.Value.TotalSeconds:0}s"), e);
            }
        }
    }

    private void EnsureSafeFolder()
    {
        var status = UnixFileStatus.Read(Folder);
        if (status is null)
        {
            Directory.CreateDirectory(Folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            // Checked again: another process may have created it first, and it must pass the same test.
            status = UnixFileStatus.Read(Folder);
        }

        if (status is null or { IsSymbolicLink: true } or { IsDirectory: false })
        {
            throw Unsafe($"the lock folder {Folder} is " + (status is { IsSymbolicLink: true } ? "a symbolic link" : "not a folder")
                + "; remove it and pgrotate creates it again (mode 0700)");
        }

        if (status.OwnerId is { } owner && UnixFileStatus.EffectiveUserId() is { } me && owner != me)
        {
            throw Unsafe($"the lock folder {Folder} is owned by uid {owner}, not by the user running pgrotate (uid {me}); remove it and pgrotate creates it again (mode 0700)");
        }

        const UnixFileMode writableByOthers = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
        if ((status.Mode & writableByOthers) != 0)
        {
            throw Unsafe($"the lock folder {Folder} is writable by group or others (mode {Octal(status.Mode)}); run 'chmod 700 {Folder}'");
        }
    }

    private static PgRotateException Unsafe(string message) =>
        new(ErrorCode.EnvironmentError, message + ". Another local user could otherwise create files through it or block rotations");

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');
}

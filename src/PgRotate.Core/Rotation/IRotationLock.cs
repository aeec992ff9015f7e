namespace PgRotate.Rotation;

/// <summary>
/// One rotator per key at a time, among every process that shares a store (on one machine or several). A holder that
/// dies never keeps the lock: it is released with the process (or its connection), so the next run resumes at once.
/// </summary>
public interface IRotationLock
{
    /// <summary>
    /// Takes the lock on <paramref name="key"/>, released by disposing the result. With a null <paramref name="wait"/>
    /// it fails at once with <c>RotationInProgress</c> when another holder has it; otherwise it waits up to that long.
    /// </summary>
    Task<IAsyncDisposable> AcquireAsync(LockKey key, TimeSpan? wait, CancellationToken cancellationToken);
}

namespace PgRotate.Setup;

/// <summary>
/// Stands in for a lock that a dry run does not take, so that releasing what is held needs no null check.
/// </summary>
internal sealed class NothingToRelease : IAsyncDisposable
{
    public static readonly NothingToRelease Instance = new();

    private NothingToRelease()
    {
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

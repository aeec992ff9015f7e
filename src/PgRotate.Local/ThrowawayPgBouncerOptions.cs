namespace PgRotate.Local;

/// <summary>How to start a <see cref="ThrowawayPgBouncer"/>.</summary>
/// <param name="ServerLifetime">pgbouncer's server_lifetime: how long a server connection is reused before it is closed (once released).</param>
public sealed record ThrowawayPgBouncerOptions(TimeSpan ServerLifetime)
{
    /// <summary>The pgbouncer program; null: <see cref="ThrowawayPgBouncer.FindProgram"/> with the process environment.</summary>
    public string? Program { get; init; }

    /// <summary>
    /// The folder to create pgbouncer's own folder in (its configuration, pid file and log), e.g. a throwaway cluster's
    /// scratch folder, so that it goes with it; null: a new temporary folder.
    /// </summary>
    public string? ParentDirectory { get; init; }

    /// <summary>
    /// Transaction pooling: a client holds a server connection only for a transaction, so even clients that stay
    /// connected keep getting server connections that pgbouncer opened recently. Session pooling (the default) lets a
    /// client keep one server connection for its whole session.
    /// </summary>
    public bool TransactionPooling { get; init; }
}

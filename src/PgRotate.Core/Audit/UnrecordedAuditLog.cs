namespace PgRotate.Audit;

/// <summary>Placeholder audit log that records nothing; replaced by each store's own log.</summary>
public sealed class UnrecordedAuditLog : IAuditLog
{
    public static UnrecordedAuditLog Instance { get; } = new();

    private UnrecordedAuditLog()
    {
    }

    public Task<AuditEntry> AppendAsync(AuditRecord record, CancellationToken cancellationToken) =>
        Task.FromResult(new AuditEntry(0, DateTimeOffset.UnixEpoch, record, string.Empty));

    public Task<IReadOnlyList<AuditEntry>> ListAsync(long afterSequence, int limit, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<AuditEntry>>([]);

    public Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken) => Task.FromResult(new AuditVerification(0, null, null));
}

namespace PgRotate.Audit;

/// <summary>
/// An append-only log in the store, each entry chained to the one before it so that an edit, deletion, insertion or
/// reordering is found by <see cref="VerifyAsync"/>.
/// </summary>
public interface IAuditLog
{
    /// <summary>Appends one entry after the last one, whichever process appended that.</summary>
    Task<AuditEntry> AppendAsync(AuditRecord record, CancellationToken cancellationToken);

    /// <summary>
    /// Appends <paramref name="records"/> in their order after the last entry, in one transaction: all of them or none.
    /// Each entry is chained to the one before it exactly as if appended one by one; one commit serves the whole batch.
    /// </summary>
    Task<IReadOnlyList<AuditEntry>> AppendManyAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken);

    /// <summary>Entries after <paramref name="afterSequence"/> (0 for the start), oldest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<AuditEntry>> ListAsync(long afterSequence, int limit, CancellationToken cancellationToken);

    /// <summary>The sequence number of the last entry (0 while the log is empty), e.g. to list only the last few.</summary>
    Task<long> LastSequenceAsync(CancellationToken cancellationToken);

    /// <summary>Checks the whole chain and names the first entry that does not follow from the ones before it.</summary>
    Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken);
}

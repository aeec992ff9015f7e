namespace PgRotate.Audit;

/// <summary>The result of checking the whole chain: how many entries are intact, and the first that is not (with why).</summary>
public sealed record AuditVerification(long EntriesChecked, long? FirstBadSequence, string? Problem)
{
    public bool Intact => FirstBadSequence is null && Problem is null;
}

namespace PgRotate.Audit;

/// <summary>
/// The last entry of the audit log as recorded beside it (sequence and hash; 0 and <see cref="AuditChain.Genesis"/> when
/// empty). Appends read and move it in one transaction, which serialises them; verification compares the log's end
/// with it, so entries deleted from the end are found too.
/// </summary>
public sealed record AuditHead(long Sequence, string Hash)
{
    internal static AuditHead Empty { get; } = new(0, AuditChain.Genesis);

    /// <summary>How the head is kept in a store's meta table: "sequence:hash".</summary>
    public string Format() => $"{Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)}:{Hash}";

    /// <summary>The head from its stored form; null when the text is not one (an edited store).</summary>
    public static AuditHead? Parse(string? text)
    {
        if (text is null || text.IndexOf(':', StringComparison.Ordinal) is var colon && colon < 1)
        {
            return null;
        }

        return long.TryParse(text.AsSpan(0, colon), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var sequence)
            ? new AuditHead(sequence, text[(colon + 1)..])
            : null;
    }
}

using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using PgRotate.Crypto;

namespace PgRotate.Audit;

/// <summary>
/// The hash chain of the audit log, the same for every store: each entry's hash is an HMAC-SHA256 over the hash of the
/// entry before it and a canonical encoding of the entry itself (sequence, time, action, actor, secret, version,
/// address, detail). The HMAC key is derived from the master key, so someone who edits the stored log without that
/// key cannot compute the hashes a forged or re-linked entry would need.
/// </summary>
/// <remarks>
/// The key is derived with HKDF under its own label, so it is neither the key that wraps data keys nor the row MAC
/// key. Times are kept to the millisecond (<see cref="Normalize"/>) so every store reads back exactly what was hashed.
/// The encoding is unambiguous: every text field as a presence byte and a big-endian length before its UTF-8 bytes,
/// numbers as fixed-width big-endian integers.
/// </remarks>
public sealed class AuditChain
{
    private const int HashLength = 32;
    private static readonly byte[] DerivationLabel = "pgrotate audit chain v1"u8.ToArray();

    /// <summary>The "hash before" of the first entry.</summary>
    public const string Genesis = "";

    // Derived once: a batch of hundreds of entries would otherwise run HKDF for each of them. It lives as long as the
    // store that holds the master key it comes from.
    private readonly byte[] _key = new byte[HashLength];

    public AuditChain(MasterKey masterKey) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, masterKey.Bytes, _key, salt: [], info: DerivationLabel);

    /// <summary>A time as the chain hashes and stores it: UTC, whole milliseconds.</summary>
    public static DateTimeOffset Normalize(DateTimeOffset time) =>
        DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());

    /// <summary>The hash of the entry at <paramref name="sequence"/> that follows the entry hashed <paramref name="previousHash"/>, as lowercase hex.</summary>
    public string Hash(string previousHash, long sequence, DateTimeOffset at, AuditRecord record) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encode(previousHash, sequence, at, record)));

    /// <summary>
    /// Walks the stored entries (oldest first, as stored) and names the first one that does not follow from those before
    /// it: a gap in the sequence (an entry deleted), an entry whose link to the one before is wrong (deleted, inserted
    /// or moved before it), an entry whose own content does not match its hash (edited or forged), and a log that ends
    /// before the last entry its head records (entries deleted from the end).
    /// </summary>
    public async Task<AuditVerification> VerifyAsync(IAsyncEnumerable<StoredAuditEntry> entries, AuditHead head, CancellationToken cancellationToken)
    {
        var expected = 1L;
        var previousHash = Genesis;
        var checkedCount = 0L;
        await foreach (var entry in entries.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (entry.Sequence != expected)
            {
                return entry.Sequence > expected
                    ? Bad(checkedCount, expected, $"entry {expected} is missing: the log goes from entry {expected - 1} to entry {entry.Sequence} (deleted)")
                    : Bad(checkedCount, entry.Sequence, $"entry {entry.Sequence} appears again after entry {expected - 1} (inserted or reordered)");
            }

            if (!FixedTimeEquals(entry.PreviousHash, previousHash))
            {
                return Bad(checkedCount, entry.Sequence,
                    $"entry {entry.Sequence} does not link to entry {expected - 1} before it (an entry was deleted, inserted or reordered here)");
            }

            if (!FixedTimeEquals(entry.Hash, Hash(entry.PreviousHash, entry.Sequence, entry.At, entry.Record)))
            {
                return Bad(checkedCount, entry.Sequence,
                    $"entry {entry.Sequence} does not match its hash (it was edited, or written without the master key)");
            }

            checkedCount++;
            previousHash = entry.Hash;
            expected++;
        }

        if (head.Sequence != expected - 1 || !FixedTimeEquals(head.Hash, previousHash))
        {
            return head.Sequence >= expected
                ? Bad(checkedCount, expected, $"the log ends at entry {expected - 1} but its head records entry {head.Sequence}: entries from {expected} on were deleted")
                : Bad(checkedCount, head.Sequence + 1, $"the log's head records entry {head.Sequence}, not the last entry {expected - 1} (the head or the end of the log was changed)");
        }

        return new AuditVerification(checkedCount, null, null);
    }

    private static AuditVerification Bad(long checkedCount, long sequence, string problem) => new(checkedCount, sequence, problem);

    private static bool FixedTimeEquals(string stored, string computed) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(stored), Encoding.ASCII.GetBytes(computed));

    private static byte[] Encode(string previousHash, long sequence, DateTimeOffset at, AuditRecord record)
    {
        using var buffer = new MemoryStream();
        Write(buffer, previousHash);
        WriteNumber(buffer, sequence);
        WriteNumber(buffer, at.ToUnixTimeMilliseconds());
        Write(buffer, record.Action);
        Write(buffer, record.Actor);
        Write(buffer, record.Secret);
        Write(buffer, record.Version?.ToString(CultureInfo.InvariantCulture));
        Write(buffer, record.Address);
        Write(buffer, record.Detail);
        return buffer.ToArray();
    }

    private static void WriteNumber(MemoryStream buffer, long value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        buffer.Write(bytes);
    }

    private static void Write(MemoryStream buffer, string? field)
    {
        buffer.WriteByte(field is null ? (byte)0 : (byte)1);
        var bytes = field is null ? [] : Encoding.UTF8.GetBytes(field);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        buffer.Write(length);
        buffer.Write(bytes);
    }
}

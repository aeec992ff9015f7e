using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace PgRotate.Crypto;

/// <summary>
/// HMAC-SHA256 over the stored fields that decide where a password is sent and which role is altered (a target's
/// address and admin user, a secret's target, strategy and roles), so that editing them in the store file without the
/// master key is detected before pgrotate connects anywhere.
/// </summary>
/// <remarks>
/// The HMAC key is derived from the master key with HKDF under its own label, so it is never the key that wraps data
/// keys. The input is unambiguous: a label naming the kind of row, then every field as a presence byte and a
/// big-endian length before its UTF-8 bytes, so no two different rows (e.g. "ab"+"c" and "a"+"bc", or a missing
/// field and an empty one) encode alike.
/// </remarks>
internal sealed class RowAuthenticator(MasterKey masterKey)
{
    private const int MacLength = 32;
    private static readonly byte[] DerivationLabel = "pgrotate store row authentication v1"u8.ToArray();

    public byte[] Compute(string kind, params string?[] fields)
    {
        Span<byte> key = stackalloc byte[MacLength];
        try
        {
            HKDF.DeriveKey(HashAlgorithmName.SHA256, masterKey.Bytes, key, salt: [], info: DerivationLabel);
            return HMACSHA256.HashData(key, Encode(kind, fields));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    public bool Verify(byte[]? mac, string kind, params string?[] fields) =>
        mac is { Length: MacLength } && CryptographicOperations.FixedTimeEquals(mac, Compute(kind, fields));

    private static byte[] Encode(string kind, string?[] fields)
    {
        using var buffer = new MemoryStream();
        Write(buffer, kind);
        Span<byte> count = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(count, fields.Length);
        buffer.Write(count);
        foreach (var field in fields)
        {
            Write(buffer, field);
        }

        return buffer.ToArray();
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

using System.Security.Cryptography;
using System.Text;
using PgRotate.Errors;

namespace PgRotate.Crypto;

/// <summary>
/// Envelope encryption of stored values. Each value gets its own random data key (AES-256-GCM), and the data key is
/// wrapped under the <see cref="MasterKey"/> (AES-256-GCM too). Both layers authenticate the associated data, which
/// names the row the value belongs to (e.g. <c>secret:orders/app:version:3</c>), so a ciphertext copied to another
/// row fails to open instead of yielding the wrong password.
/// </summary>
/// <remarks>
/// Layout: version (1 byte, = 1) | wrap nonce (12) | wrapped data key (32) | wrap tag (16) | value nonce (12) |
/// value tag (16) | ciphertext (same length as the plaintext).
/// </remarks>
internal sealed class Envelope(MasterKey masterKey)
{
    private const byte FormatVersion = 1;
    private const int KeyLength = 32;
    private const int NonceLength = 12;
    private const int TagLength = 16;

    private const int WrapNonceOffset = 1;
    private const int WrappedKeyOffset = WrapNonceOffset + NonceLength;
    private const int WrapTagOffset = WrappedKeyOffset + KeyLength;
    private const int ValueNonceOffset = WrapTagOffset + TagLength;
    private const int ValueTagOffset = ValueNonceOffset + NonceLength;
    private const int HeaderLength = ValueTagOffset + TagLength;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly MasterKey _masterKey = masterKey ?? throw new ArgumentNullException(nameof(masterKey));

    public byte[] Seal(ReadOnlySpan<byte> plaintext, string associatedData)
    {
        byte[] ad = EncodeAssociatedData(associatedData);
        byte[] blob = new byte[HeaderLength + plaintext.Length];
        Span<byte> span = blob;
        span[0] = FormatVersion;

        Span<byte> dataKey = stackalloc byte[KeyLength];
        try
        {
            // A fresh key per value keeps random 96-bit nonces far from their collision bound under the master key
            // (it only ever encrypts 32-byte keys) and lets a future master-key rotation rewrap without re-encrypting.
            RandomNumberGenerator.Fill(dataKey);
            RandomNumberGenerator.Fill(span.Slice(WrapNonceOffset, NonceLength));
            RandomNumberGenerator.Fill(span.Slice(ValueNonceOffset, NonceLength));

            using (var wrap = new AesGcm(_masterKey.Bytes, TagLength))
            {
                wrap.Encrypt(
                    span.Slice(WrapNonceOffset, NonceLength),
                    dataKey,
                    span.Slice(WrappedKeyOffset, KeyLength),
                    span.Slice(WrapTagOffset, TagLength),
                    ad);
            }

            using var value = new AesGcm(dataKey, TagLength);
            value.Encrypt(
                span.Slice(ValueNonceOffset, NonceLength),
                plaintext,
                span[HeaderLength..],
                span.Slice(ValueTagOffset, TagLength),
                ad);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }

        return blob;
    }

    /// <exception cref="PgRotateException">
    /// <see cref="ErrorCode.StoreCorrupt"/> if the value is not a pgrotate ciphertext;
    /// <see cref="ErrorCode.MasterKeyMismatch"/> if it does not authenticate under this key and associated data.
    /// </exception>
    public byte[] Open(ReadOnlySpan<byte> sealedValue, string associatedData)
    {
        byte[] ad = EncodeAssociatedData(associatedData);
        if (sealedValue.Length < HeaderLength || sealedValue[0] != FormatVersion)
        {
            throw new PgRotateException(
                ErrorCode.StoreCorrupt,
                $"stored value for {associatedData} is truncated or not a pgrotate ciphertext");
        }

        Span<byte> dataKey = stackalloc byte[KeyLength];
        byte[] plaintext = new byte[sealedValue.Length - HeaderLength];
        try
        {
            using (var wrap = new AesGcm(_masterKey.Bytes, TagLength))
            {
                wrap.Decrypt(
                    sealedValue.Slice(WrapNonceOffset, NonceLength),
                    sealedValue.Slice(WrappedKeyOffset, KeyLength),
                    sealedValue.Slice(WrapTagOffset, TagLength),
                    dataKey,
                    ad);
            }

            using var value = new AesGcm(dataKey, TagLength);
            value.Decrypt(
                sealedValue.Slice(ValueNonceOffset, NonceLength),
                sealedValue[HeaderLength..],
                sealedValue.Slice(ValueTagOffset, TagLength),
                plaintext,
                ad);
            return plaintext;
        }
        catch (AuthenticationTagMismatchException e)
        {
            // GCM cannot tell these causes apart; the store compares key ids to report a wrong key more precisely.
            CryptographicOperations.ZeroMemory(plaintext);
            throw new PgRotateException(
                ErrorCode.MasterKeyMismatch,
                $"cannot decrypt {associatedData}: wrong master key, or the stored value was altered or moved to "
                + "another row",
                e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    public byte[] SealText(SecretText text, string associatedData)
    {
        ArgumentNullException.ThrowIfNull(text);
        byte[] plaintext = Encoding.UTF8.GetBytes(text.Reveal());
        try
        {
            return Seal(plaintext, associatedData);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <exception cref="PgRotateException">As <see cref="Open"/>; also <see cref="ErrorCode.StoreCorrupt"/> if the
    /// value authenticates but is not UTF-8 text.</exception>
    public SecretText OpenText(ReadOnlySpan<byte> sealedValue, string associatedData)
    {
        byte[] plaintext = Open(sealedValue, associatedData);
        try
        {
            return new SecretText(StrictUtf8.GetString(plaintext));
        }
        catch (DecoderFallbackException e)
        {
            throw new PgRotateException(
                ErrorCode.StoreCorrupt, $"stored value for {associatedData} is not text", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private static byte[] EncodeAssociatedData(string associatedData)
    {
        // Without associated data a value could be swapped between rows undetected, so it is mandatory.
        ArgumentException.ThrowIfNullOrEmpty(associatedData);
        return Encoding.UTF8.GetBytes(associatedData);
    }
}

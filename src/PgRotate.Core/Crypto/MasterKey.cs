using System.Security.Cryptography;
using PgRotate.Errors;

namespace PgRotate.Crypto;

/// <summary>
/// The 32-byte AES-256 key that wraps the data key of every stored secret (see <see cref="Envelope"/>). It comes
/// from <see cref="EnvironmentVariable"/> or a key file, both holding its base64 form. Losing it makes the store
/// unreadable, so nothing here ever overwrites an existing key.
/// </summary>
public sealed class MasterKey : IDisposable
{
    public const string EnvironmentVariable = "PGROTATE_MASTER_KEY";
    public const int KeyLength = 32;

    // Base64 of 32 bytes is 44 characters; anything past this is not a key file, and bounding the read keeps a
    // path such as /dev/zero from filling memory.
    private const int MaxFileLength = 256;

    private readonly byte[] _key;
    private bool _disposed;

    private MasterKey(byte[] key)
    {
        _key = key;
        KeyId = Convert.ToHexStringLower(SHA256.HashData(key).AsSpan(0, 8));
    }

    /// <summary>
    /// Identifies the key without revealing it (first 8 bytes of its SHA-256, lowercase hex). Stored next to the
    /// ciphertexts so that a failed decryption can be reported as "wrong key" rather than "corrupt store".
    /// </summary>
    public string KeyId { get; }

    internal ReadOnlySpan<byte> Bytes
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _key;
        }
    }

    public static MasterKey Generate()
    {
        byte[] key = NewKeyBuffer();
        RandomNumberGenerator.Fill(key);
        return new MasterKey(key);
    }

    /// <exception cref="PgRotateException"><see cref="ErrorCode.InvalidInput"/> unless base64 of exactly 32 bytes.</exception>
    public static MasterKey FromBase64(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryDecode(text) ?? throw new PgRotateException(
            ErrorCode.InvalidInput,
            $"the master key is not valid: expected the base64 encoding of exactly {KeyLength} bytes, "
            + "as written by 'pgrotate init'");
    }

    /// <summary>Reads a key file holding the base64 key, optionally followed by a newline.</summary>
    /// <exception cref="PgRotateException">
    /// <see cref="ErrorCode.MasterKeyMissing"/> if the file does not exist; <see cref="ErrorCode.InvalidInput"/> if
    /// it cannot be read or does not hold a key.
    /// </exception>
    public static async Task<MasterKey> ReadFileAsync(string path, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] content = new byte[MaxFileLength];
        char[] text = new char[MaxFileLength];
        try
        {
            int length = 0;
            try
            {
                var stream = new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.Open,
                    Access = FileAccess.Read,
                    Share = FileShare.Read,
                    Options = FileOptions.Asynchronous,
                });
                await using var closeStream = stream.ConfigureAwait(false);
                int read;
                while (length < content.Length
                       && (read = await stream.ReadAsync(content.AsMemory(length), ct).ConfigureAwait(false)) > 0)
                {
                    length += read;
                }
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new PgRotateException(
                    ErrorCode.MasterKeyMissing,
                    // Only an existing store asks for its key, and 'init' refuses an existing store: the way out is the
                    // key that store was created with.
                    MissingKeyMessage(path),
                    e);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // These messages name the path and the OS reason, never the content.
                throw new PgRotateException(
                    ErrorCode.InvalidInput, $"cannot read the master key file {path}: {e.Message}", e);
            }

            MasterKey? key = null;
            if (length < content.Length)
            {
                // Non-ASCII bytes become '?', which base64 decoding then rejects.
                int chars = System.Text.Encoding.ASCII.GetChars(content, 0, length, text, 0);
                key = TryDecode(text.AsSpan(0, chars));
            }

            return key ?? throw new PgRotateException(
                ErrorCode.InvalidInput,
                $"the master key file {path} does not hold a master key: expected the base64 encoding of exactly "
                + $"{KeyLength} bytes and an optional newline, as written by 'pgrotate init'");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(content);
            CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(text.AsSpan()));
        }
    }

    /// <summary>
    /// Writes the key (base64 and a newline) to a new file readable by the owner only. The file is created with mode
    /// 0600 rather than chmod-ed afterwards, so it is never readable by others, not even briefly.
    /// </summary>
    /// <exception cref="PgRotateException">
    /// <see cref="ErrorCode.AlreadyExists"/> if the path exists (it is left untouched);
    /// <see cref="ErrorCode.EnvironmentError"/> if the file cannot be created or written.
    /// </exception>
    public async Task WriteNewFileAsync(string path, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] content = System.Text.Encoding.ASCII.GetBytes(ToBase64() + "\n");
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                Options = FileOptions.Asynchronous,
            };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            FileStream stream;
            try
            {
                stream = new FileStream(path, options);
            }
            catch (IOException e) when (File.Exists(path) || Directory.Exists(path))
            {
                throw new PgRotateException(
                    ErrorCode.AlreadyExists,
                    $"the master key file {path} already exists; pgrotate never overwrites a master key, because "
                    + "every secret sealed under the old one would become unreadable",
                    e);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new PgRotateException(
                    ErrorCode.EnvironmentError, $"cannot create the master key file {path}: {e.Message}", e);
            }

            try
            {
                await using (stream.ConfigureAwait(false))
                {
                    await stream.WriteAsync(content, ct).ConfigureAwait(false);
                    await stream.FlushAsync(ct).ConfigureAwait(false);
                    // The key must survive a crash right after 'init': without it, nothing sealed later can be read.
                    stream.Flush(flushToDisk: true);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or OperationCanceledException)
            {
                // We created the file, so removing it is safe; a truncated key file would otherwise be found by the
                // next run and block a retry of 'init'.
                TryDelete(path);
                if (e is OperationCanceledException)
                {
                    throw;
                }

                throw new PgRotateException(
                    ErrorCode.EnvironmentError, $"cannot write the master key file {path}: {e.Message}", e);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(content);
        }
    }

    private static string MissingKeyMessage(string path) =>
        $"no master key: the key file {path} does not exist; restore it from your backup (or point --key-file at it) or set {EnvironmentVariable}. "
        + "A new key cannot open this store, so 'pgrotate init' is no way out";

    internal string ToBase64() => Convert.ToBase64String(Bytes);

    public override string ToString() => $"MasterKey(id {KeyId})";

    public void Dispose()
    {
        if (!_disposed)
        {
            CryptographicOperations.ZeroMemory(_key);
            _disposed = true;
        }
    }

    private static MasterKey? TryDecode(ReadOnlySpan<char> text)
    {
        byte[] key = NewKeyBuffer();
        // Decoding straight into a 32-byte buffer fails for longer input, and 'written' catches shorter input.
        if (Convert.TryFromBase64Chars(text.Trim(), key, out int written) && written == KeyLength)
        {
            return new MasterKey(key);
        }

        CryptographicOperations.ZeroMemory(key);
        return null;
    }

    // Pinned so the garbage collector never leaves copies of the key behind when it compacts the heap.
    private static byte[] NewKeyBuffer() => GC.AllocateArray<byte>(KeyLength, pinned: true);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The original failure is the one worth reporting.
        }
    }
}

using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using PgRotate.Crypto;
using PgRotate.Errors;

namespace PgRotate.Postgres;

/// <summary>
/// PostgreSQL SCRAM-SHA-256 password verifiers (RFC 5802 / RFC 7677), in the form stored in <c>pg_authid</c>:
/// <c>SCRAM-SHA-256$&lt;iterations&gt;:&lt;salt&gt;$&lt;StoredKey&gt;:&lt;ServerKey&gt;</c>. Handing the server a
/// precomputed verifier keeps the plaintext password out of statement logs and pg_stat_statements.
/// </summary>
public static class ScramVerifier
{
    public const int DefaultIterations = 4096;
    public const int SaltLength = 16;

    /// <summary>
    /// Upper bound on accepted iteration counts. Every ALTER ROLE runs the full count on the server (it checks the
    /// new password against the empty string), and <see cref="Matches"/> runs it here, so a hostile or mistyped
    /// verifier must not be able to cost minutes of CPU.
    /// </summary>
    public const int MaxIterations = 10_000_000;

    private const string Prefix = "SCRAM-SHA-256$";
    private const int KeyLength = 32;

    /// <exception cref="ArgumentException">
    /// The password is empty (PostgreSQL would clear the role's password) or not ASCII (the server would apply
    /// SASLprep, which we do not), or the salt is empty.
    /// </exception>
    public static string Compute(SecretText password, int iterations, ReadOnlySpan<byte> salt)
    {
        string text = RevealAcceptedPassword(password, nameof(password));
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(iterations, MaxIterations);
        if (salt.IsEmpty)
        {
            throw new ArgumentException("the salt must not be empty", nameof(salt));
        }

        Span<byte> keys = stackalloc byte[2 * KeyLength];
        try
        {
            DeriveKeys(text, iterations, salt, keys);
            return string.Concat(
                Prefix,
                iterations.ToString(CultureInfo.InvariantCulture),
                ":",
                Convert.ToBase64String(salt),
                "$",
                Convert.ToBase64String(keys[..KeyLength]),
                ":",
                Convert.ToBase64String(keys[KeyLength..]));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(keys);
        }
    }

    /// <summary>Computes a verifier with a fresh random salt of <see cref="SaltLength"/> bytes, as the server does.</summary>
    public static string Create(SecretText password, int iterations = DefaultIterations)
    {
        Span<byte> salt = stackalloc byte[SaltLength];
        RandomNumberGenerator.Fill(salt);
        return Compute(password, iterations, salt);
    }

    /// <summary>
    /// True only for a verifier PostgreSQL will store as a verifier. Anything else the server silently treats as a
    /// plaintext password and hashes, so a malformed value would lock the role out instead of failing. A well-formed
    /// verifier contains only <c>[A-Za-z0-9+/=:$-]</c>, so it can be embedded as a SQL literal.
    /// </summary>
    public static bool IsWellFormed([NotNullWhen(true)] string? verifier) =>
        Parse(verifier, out _, out _, out _) is null;

    /// <exception cref="PgRotateException"><see cref="ErrorCode.InvalidInput"/> if not well-formed.</exception>
    public static void EnsureWellFormed([NotNull] string? verifier)
    {
        // The message says what is wrong but never repeats the value: a verifier allows offline guessing.
        string? problem = Parse(verifier, out _, out _, out _);
        if (problem is not null || verifier is null)
        {
            throw new PgRotateException(
                ErrorCode.InvalidInput,
                $"not a valid SCRAM-SHA-256 verifier ({problem ?? "no value"}); expected "
                + "SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>; "
                + "PostgreSQL would store anything else as a plaintext password");
        }
    }

    /// <summary>
    /// Whether <paramref name="password"/> is the password behind <paramref name="verifier"/>, recomputed with the
    /// verifier's own salt and iteration count. A value that is not a well-formed SCRAM-SHA-256 verifier (md5,
    /// plaintext) never matches: we cannot show that it does.
    /// </summary>
    /// <exception cref="ArgumentException">The password is empty or not ASCII (see <see cref="Compute"/>).</exception>
    public static bool Matches(string verifier, SecretText password)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        string text = RevealAcceptedPassword(password, nameof(password));
        if (Parse(verifier, out int iterations, out byte[]? salt, out byte[]? expected) is not null)
        {
            return false;
        }

        Span<byte> actual = stackalloc byte[2 * KeyLength];
        try
        {
            DeriveKeys(text, iterations, salt, actual);
            return CryptographicOperations.FixedTimeEquals(actual, expected);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(actual);
        }
    }

    private static string RevealAcceptedPassword(SecretText password, string paramName)
    {
        ArgumentNullException.ThrowIfNull(password, paramName);
        string text = password.Reveal();
        if (text.Length == 0)
        {
            throw new ArgumentException(
                "the password is empty: PostgreSQL clears the role's password instead of setting an empty one",
                paramName);
        }

        // The server runs SASLprep over non-ASCII passwords and we do not, so the verifier would not match what
        // clients send. NUL is refused because libpq reads the password as a C string and would stop there.
        if (!Ascii.IsValid(text) || text.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException(
                "the password must be ASCII without NUL characters (PostgreSQL applies SASLprep to other passwords)",
                paramName);
        }

        return text;
    }

    /// <summary>Writes StoredKey then ServerKey (32 bytes each) to <paramref name="keys"/>.</summary>
    private static void DeriveKeys(string password, int iterations, ReadOnlySpan<byte> salt, Span<byte> keys)
    {
        byte[] passwordBytes = Encoding.ASCII.GetBytes(password);
        Span<byte> saltedPassword = stackalloc byte[KeyLength];
        Span<byte> clientKey = stackalloc byte[KeyLength];
        try
        {
            Rfc2898DeriveBytes.Pbkdf2(passwordBytes, salt, saltedPassword, iterations, HashAlgorithmName.SHA256);
            HMACSHA256.HashData(saltedPassword, "Client Key"u8, clientKey);
            SHA256.HashData(clientKey, keys[..KeyLength]);
            HMACSHA256.HashData(saltedPassword, "Server Key"u8, keys[KeyLength..]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
            CryptographicOperations.ZeroMemory(saltedPassword);
            CryptographicOperations.ZeroMemory(clientKey);
        }
    }

    /// <summary>
    /// Parses a verifier strictly; returns null on success or a short description of the problem (which never quotes
    /// the input). <paramref name="keys"/> receives StoredKey followed by ServerKey.
    /// </summary>
    private static string? Parse(
        string? verifier, out int iterations, [NotNullWhen(false)] out byte[]? salt, [NotNullWhen(false)] out byte[]? keys)
    {
        iterations = 0;
        salt = null;
        keys = null;
        if (verifier is null)
        {
            return "no value";
        }

        if (!verifier.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return "it does not start with SCRAM-SHA-256$";
        }

        // '$' and ':' are outside the base64 alphabet, so any extra separator ends up inside a field that then fails
        // the canonical-base64 check: splitting at the first occurrence is enough.
        ReadOnlySpan<char> rest = verifier.AsSpan(Prefix.Length);
        int dollar = rest.IndexOf('$');
        if (dollar < 0)
        {
            return "the keys part is missing";
        }

        ReadOnlySpan<char> parameters = rest[..dollar];
        ReadOnlySpan<char> keyPart = rest[(dollar + 1)..];
        int colon = parameters.IndexOf(':');
        int keyColon = keyPart.IndexOf(':');
        if (colon < 0 || keyColon < 0)
        {
            return "a ':' separator is missing";
        }

        if (!TryParseIterations(parameters[..colon], out iterations))
        {
            return $"the iteration count is not an integer from 1 to {MaxIterations} without sign or leading zeros";
        }

        if (!TryDecodeCanonicalBase64(parameters[(colon + 1)..], out byte[]? saltBytes) || saltBytes.Length == 0)
        {
            iterations = 0;
            return "the salt is not canonical '='-padded base64 of at least one byte";
        }

        if (!TryDecodeCanonicalBase64(keyPart[..keyColon], out byte[]? storedKey) || storedKey.Length != KeyLength)
        {
            iterations = 0;
            return "the StoredKey is not canonical base64 of exactly 32 bytes";
        }

        if (!TryDecodeCanonicalBase64(keyPart[(keyColon + 1)..], out byte[]? serverKey) || serverKey.Length != KeyLength)
        {
            iterations = 0;
            return "the ServerKey is not canonical base64 of exactly 32 bytes";
        }

        salt = saltBytes;
        keys = [.. storedKey, .. serverKey];
        return null;
    }

    private static bool TryParseIterations(ReadOnlySpan<char> text, out int iterations)
    {
        iterations = 0;
        // int.Parse would accept signs, whitespace and leading zeros; PostgreSQL's own parser is laxer still, so
        // accept only the one spelling the server itself writes.
        if (text.IsEmpty || text.Length > 8 || text[0] == '0')
        {
            return false;
        }

        int value = 0;
        foreach (char c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            value = (value * 10) + (c - '0');
        }

        if (value > MaxIterations)
        {
            return false;
        }

        iterations = value;
        return true;
    }

    /// <summary>
    /// Decodes base64 only in its canonical form: standard alphabet, '=' padding, zero trailing bits, no whitespace.
    /// Re-encoding and comparing rejects every other spelling in one step.
    /// </summary>
    private static bool TryDecodeCanonicalBase64(ReadOnlySpan<char> text, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        if (text.IsEmpty || text.Length % 4 != 0)
        {
            return false;
        }

        byte[] buffer = new byte[text.Length / 4 * 3];
        if (!Convert.TryFromBase64Chars(text, buffer, out int written))
        {
            return false;
        }

        byte[] decoded = buffer[..written];
        if (!text.SequenceEqual(Convert.ToBase64String(decoded)))
        {
            return false;
        }

        bytes = decoded;
        return true;
    }
}

using System.Security.Cryptography;
using System.Text;
using PgRotate.Crypto;

namespace PgRotate.Access;

/// <summary>
/// Tokens are generated, and only ever stored as SHA-256 hashes. A token is 256 random bits, so one unsalted SHA-256
/// is enough (nothing to guess from a hash, unlike a password); the store finds a presented token by a short prefix of
/// its hash (an index lookup that reveals nothing useful by its timing) and the whole hash is then compared in
/// constant time.
/// </summary>
internal static class TokenHashes
{
    /// <summary>Every token starts with this, so a leaked one is recognisable to people and to secret scanners.</summary>
    public const string Prefix = "pgr_";

    private const int RandomBytes = 32;
    private const int HintBytes = 8;

    /// <summary>A new token: <c>pgr_</c> and 256 random bits in base64url (43 characters).</summary>
    public static SecretText Generate() =>
        new(Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(RandomBytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_'));

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public static string Hint(byte[] hash) => Convert.ToHexStringLower(hash.AsSpan(0, HintBytes));

    /// <summary>Whether <paramref name="presented"/> looks like a token at all (prefix and length), checked before any lookup.</summary>
    public static bool IsWellFormed(string presented) =>
        presented.Length == Prefix.Length + 43 && presented.StartsWith(Prefix, StringComparison.Ordinal)
        && presented.AsSpan(Prefix.Length).IndexOfAnyExcept("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") < 0;

    public static bool Equal(byte[] stored, byte[] presented) => CryptographicOperations.FixedTimeEquals(stored, presented);
}

using System.Security.Cryptography;

namespace PgRotate.Crypto;

/// <summary>
/// Generates role passwords from a CSPRNG. Letters and digits only: they survive connection strings, URLs, shell
/// quoting and config files unescaped, and ASCII keeps the client's SCRAM computation identical to the server's
/// (PostgreSQL applies SASLprep to non-ASCII passwords).
/// </summary>
public static class PasswordGenerator
{
    public const int DefaultLength = 32;

    /// <summary>
    /// A leaked verifier allows offline guessing at only 4096 PBKDF2 iterations, so the password itself must carry
    /// at least 128 bits: 22 symbols of a 62-symbol alphabet give 22 * log2(62) ≈ 131 bits, 21 give only 125.
    /// </summary>
    public const int MinimumLength = 22;

    /// <summary>Guards against an absurd length exhausting memory; far above anything a client would type.</summary>
    public const int MaximumLength = 1024;

    public const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static SecretText Generate(int length = DefaultLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, MinimumLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, MaximumLength);
        // GetString picks each symbol uniformly (rejection sampling), so there is no modulo bias to account for.
        return new SecretText(RandomNumberGenerator.GetString(Alphabet, length));
    }
}

namespace PgRotate.Crypto;

/// <summary>
/// A secret string (password, key material in text form). Its <see cref="ToString"/> is redacted so that a slip into a
/// log message, an exception or string interpolation shows nothing; the value is only reached through
/// <see cref="Reveal"/>, which makes every use greppable.
/// </summary>
public sealed class SecretText : IEquatable<SecretText>
{
    private readonly Lazy<string> _lazy;

    public SecretText(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _lazy = new Lazy<string>(value);
    }

    /// <summary>
    /// A value produced on first use: the store decrypts a version's password only when something reveals it, so a
    /// damaged old version does not stop commands that never need it. A failure is kept and thrown on every use.
    /// </summary>
    private SecretText(Func<string> produce) => _lazy = new Lazy<string>(produce, LazyThreadSafetyMode.ExecutionAndPublication);

    private string Value => _lazy.Value;

    public static SecretText Deferred(Func<string> produce) => new(produce);

    public string Reveal() => Value;

    public int Length => Value.Length;

    public override string ToString() => "[redacted]";

    public bool Equals(SecretText? other) =>
        other is not null && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(Value), System.Text.Encoding.UTF8.GetBytes(other.Value));

    public override bool Equals(object? obj) => obj is SecretText other && Equals(other);

    public override int GetHashCode() => Value.Length;
}

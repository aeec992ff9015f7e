namespace PgRotate.Crypto;

/// <summary>
/// A secret string (password, key material in text form). Its <see cref="ToString"/> is redacted so that a slip into a
/// log message, an exception or string interpolation shows nothing; the value is only reached through
/// <see cref="Reveal"/>, which makes every use greppable.
/// </summary>
public sealed class SecretText : IEquatable<SecretText>
{
    private readonly string _value;

    public SecretText(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _value = value;
    }

    public string Reveal() => _value;

    public int Length => _value.Length;

    public override string ToString() => "[redacted]";

    public bool Equals(SecretText? other) =>
        other is not null && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(_value), System.Text.Encoding.UTF8.GetBytes(other._value));

    public override bool Equals(object? obj) => obj is SecretText other && Equals(other);

    public override int GetHashCode() => _value.Length;
}

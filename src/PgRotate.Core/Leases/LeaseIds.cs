using System.Security.Cryptography;
using PgRotate.Errors;

namespace PgRotate.Leases;

/// <summary>Lease ids: <c>lease_</c> and 24 random lowercase letters and digits (about 124 bits), unguessable and safe anywhere.</summary>
public static class LeaseIds
{
    public const string Prefix = "lease_";
    private const int RandomLength = 24;
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    public static string New() => Prefix + RandomNumberGenerator.GetString(Alphabet, RandomLength);

    /// <summary>An id as given on a command line or in a URL: refused before the store is asked when it cannot be one.</summary>
    public static string Parse(string? text) =>
        text is { Length: > 0 and <= 64 } && text.StartsWith(Prefix, StringComparison.Ordinal) && text.AsSpan(Prefix.Length).IndexOfAnyExcept(Alphabet) < 0
            ? text
            : throw PgRotateException.InvalidInput($"lease id {Postgres.Sql.Printable(text ?? "")} is not one: lease ids look like {Prefix}… ('pgrotate lease list' shows them)");
}

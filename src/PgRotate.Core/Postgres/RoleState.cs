namespace PgRotate.Postgres;

/// <summary>What the server says about one role: attributes, the groups it belongs to, and its cluster-wide settings.</summary>
public sealed record RoleState(
    string Name,
    bool CanLogin,
    bool IsSuperuser,
    DateTimeOffset? ValidUntil,
    IReadOnlyList<string> MemberOf,
    IReadOnlyList<string> Settings)
{
    /// <summary>The login-time <c>role</c> setting (<c>ALTER ROLE … SET role</c>), or null.</summary>
    public string? DefaultRole => Settings.FirstOrDefault(s => s.StartsWith("role=", StringComparison.Ordinal))?["role=".Length..];

    /// <summary>Settings other than <c>role</c>, which should be identical on the two alternating logins.</summary>
    public IEnumerable<string> OtherSettings => Settings.Where(s => !s.StartsWith("role=", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
}

namespace PgRotate.Postgres;

/// <summary>
/// What the server says about one role: attributes, the groups it belongs to, and its cluster-wide settings.
/// <see cref="CanCreateRole"/>, <see cref="Replication"/> and <see cref="BypassRls"/> are the attributes that make a
/// role too powerful to hand to an application: pgrotate never manages such a role.
/// </summary>
internal sealed record RoleState(
    string Name,
    bool CanLogin,
    bool IsSuperuser,
    DateTimeOffset? ValidUntil,
    IReadOnlyList<string> MemberOf,
    IReadOnlyList<string> Settings,
    bool CanCreateRole = false,
    bool Replication = false,
    bool BypassRls = false,
    IReadOnlyList<RoleSetting>? DatabaseSettings = null)
{
    /// <summary>The login-time <c>role</c> setting (<c>ALTER ROLE … SET role</c>), or null.</summary>
    internal string? DefaultRole => Settings.FirstOrDefault(s => s.StartsWith("role=", StringComparison.Ordinal))?["role=".Length..];

    /// <summary>Settings other than <c>role</c>, which should be identical on the two alternating logins.</summary>
    internal IEnumerable<string> OtherSettings => Settings.Where(s => !s.StartsWith("role=", StringComparison.Ordinal)).Order(StringComparer.Ordinal);

    /// <summary>
    /// Every setting the role carries except <c>role</c>: those that apply in all databases, then those of single
    /// databases (<see cref="DatabaseSettings"/>). What sessions logging in as this role get.
    /// </summary>
    internal IReadOnlyList<RoleSetting> SettingsBeyondRole =>
    [
        .. Settings.Select(s => RoleSetting.FromCatalog(null, s)).Concat(DatabaseSettings ?? []).Where(s => !s.IsRole)
            .OrderBy(s => s.Database, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal),
    ];

    /// <summary>The attributes that rule a role out of pgrotate's hands, as PostgreSQL spells them; empty when none.</summary>
    internal IReadOnlyList<string> PowerfulAttributes =>
    [
        .. IsSuperuser ? ["SUPERUSER"] : Array.Empty<string>(),
        .. CanCreateRole ? ["CREATEROLE"] : Array.Empty<string>(),
        .. Replication ? ["REPLICATION"] : Array.Empty<string>(),
        .. BypassRls ? ["BYPASSRLS"] : Array.Empty<string>(),
    ];
}

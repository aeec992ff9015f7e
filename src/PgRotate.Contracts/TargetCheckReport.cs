namespace PgRotate.Contracts;

/// <summary>
/// What <c>target check</c> found about a target: the server, how the admin login is secured, what the admin may do
/// with the roles its secrets use, and the least-privilege statements a superuser must run when that is not enough.
/// </summary>
/// <param name="Address">host:port/database.</param>
/// <param name="ServerVersion">As the server reports it (<c>server_version</c>).</param>
/// <param name="AuthMethod">How the server authenticated the admin: <c>SCRAM-SHA-256</c>, <c>SCRAM-SHA-256-PLUS</c> or <c>none</c>.</param>
/// <param name="AcceptsWrongPassword">True when the server also let the admin in with a deliberately wrong password (trust, peer or cert).</param>
/// <param name="User">The admin login.</param>
/// <param name="ReadAllStats">Whether the admin can see other roles' sessions (pg_read_all_stats), which adopt-finish needs.</param>
/// <param name="Sufficient">True when <see cref="MissingGrants"/> is empty.</param>
/// <param name="MissingGrants">The statements, each ending in <c>;</c>, that would give the admin what rotation needs.</param>
public sealed record TargetCheckReport(
    string Target,
    string Address,
    string ServerVersion,
    int MajorVersion,
    TransportTls Tls,
    string AuthMethod,
    bool AcceptsWrongPassword,
    IReadOnlyList<string> Warnings,
    string User,
    bool Superuser,
    bool CreateRole,
    bool ReadAllStats,
    bool Sufficient,
    IReadOnlyList<RoleAccess> Roles,
    IReadOnlyList<string> MissingGrants,
    IReadOnlyList<string> Notes,
    IReadOnlyList<string> Hardening,
    IReadOnlyList<string> Recommended);

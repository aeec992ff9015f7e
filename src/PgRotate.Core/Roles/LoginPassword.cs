using PgRotate.Postgres;

namespace PgRotate.Roles;

/// <summary>A password for one login role, as the SCRAM verifier that is all PostgreSQL ever receives of it.</summary>
internal sealed record LoginPassword(RoleName Login, string Verifier);

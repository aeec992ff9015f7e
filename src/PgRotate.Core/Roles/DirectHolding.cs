using System.Collections.Frozen;
using PgRotate.Postgres;

namespace PgRotate.Roles;

/// <summary>
/// A privilege granted to a login role itself, or an object it owns, in the connected database. Under the pattern both
/// belong to the group: a login's own grants are lost when it is dropped and differ between the two logins, and what
/// it owns blocks DROP ROLE and is not the group's.
/// </summary>
/// <param name="Login">The login role.</param>
/// <param name="Owns">True for an owned object, false for a granted privilege.</param>
/// <param name="Kind">table, view, sequence, schema, database, routine, or defaults (default privileges).</param>
/// <param name="Schema">The object's schema (for defaults: the schema they are limited to, or null).</param>
/// <param name="Name">The object's name (for defaults: pg_default_acl.defaclobjtype).</param>
/// <param name="Arguments">A routine's identity arguments as PostgreSQL renders them.</param>
/// <param name="Privilege">The privilege, as aclexplode names it (SELECT, USAGE, …).</param>
/// <param name="Grantable">Granted WITH GRANT OPTION.</param>
/// <param name="DefaultsOwner">For defaults: the role whose new objects get them.</param>
internal sealed record DirectHolding(
    string Login, bool Owns, string Kind, string? Schema, string Name, string? Arguments, string? Privilege, bool Grantable, string? DefaultsOwner)
{
    /// <summary>Privileges as aclexplode spells them, which are also their GRANT keywords.</summary>
    private static readonly FrozenSet<string> Privileges = new[]
    {
        "SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER", "MAINTAIN", "USAGE", "CREATE", "CONNECT", "TEMPORARY", "EXECUTE",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The object classes of default privileges (pg_default_acl.defaclobjtype) as ALTER DEFAULT PRIVILEGES names them.</summary>
    private static readonly FrozenDictionary<string, string> DefaultsObjects = new Dictionary<string, string>
    {
        ["r"] = "TABLES", ["S"] = "SEQUENCES", ["f"] = "FUNCTIONS", ["T"] = "TYPES", ["n"] = "SCHEMAS", ["L"] = "LARGE OBJECTS",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>What the login holds, for a message: "holds SELECT on table public.orders", "owns view app.totals".</summary>
    public string Description => Owns
        ? $"owns {Kind} {Shown}"
        : Kind == "defaults"
            ? $"holds default privileges: {Privilege} on {DefaultsObjects.GetValueOrDefault(Name, Name).ToLowerInvariant()} that {DefaultsOwner} creates{(Schema is null ? "" : $" in schema {Schema}")}"
            : $"holds {Privilege} on {Kind} {Shown}";

    private string Shown => (Schema is null ? "" : Schema + ".") + Name + (Arguments is null ? "" : $"({Arguments})");

    /// <summary>
    /// What moves the holding to the group: for an owned object, REASSIGN OWNED (which moves ownership, never grants);
    /// for a privilege, revoking it from the login and granting it to the group, since REASSIGN OWNED does not move
    /// grants. PostgreSQL revokes only what the revoking role granted (a superuser revokes as the owner), so run it as
    /// the role that granted it, the owner, or a superuser. Null when the holding is of a kind this cannot express.
    /// </summary>
    public RoleStatement? Fix(RoleName group)
    {
        var login = Sql.Identifier(Login);
        if (Owns)
        {
            return RoleStatement.Plain($"REASSIGN OWNED BY {login} TO {group.Quoted}");
        }

        if (Privilege is null || !Privileges.Contains(Privilege))
        {
            return null;
        }

        var withGrant = Grantable ? " WITH GRANT OPTION" : "";
        if (Kind == "defaults")
        {
            if (DefaultsOwner is null || !DefaultsObjects.TryGetValue(Name, out var objects))
            {
                return null;
            }

            var alter = $"ALTER DEFAULT PRIVILEGES FOR ROLE {Sql.Identifier(DefaultsOwner)}{(Schema is null ? "" : $" IN SCHEMA {Sql.Identifier(Schema)}")}";
            return RoleStatement.Plain($"{alter} REVOKE {Privilege} ON {objects} FROM {login}; {alter} GRANT {Privilege} ON {objects} TO {group.Quoted}{withGrant}");
        }

        var target = Kind switch
        {
            "table" or "view" => $"TABLE {Qualified}",
            "sequence" => $"SEQUENCE {Qualified}",
            "schema" => $"SCHEMA {Sql.Identifier(Name)}",
            "database" => $"DATABASE {Sql.Identifier(Name)}",
            // The argument list is PostgreSQL's own rendering (pg_get_function_identity_arguments), quoted by the server.
            "routine" => $"ROUTINE {Qualified}({Arguments})",
            _ => null,
        };
        return target is null ? null : RoleStatement.Plain($"REVOKE {Privilege} ON {target} FROM {login}; GRANT {Privilege} ON {target} TO {group.Quoted}{withGrant}");
    }

    private string Qualified => (Schema is null ? "" : Sql.Identifier(Schema) + ".") + Sql.Identifier(Name);
}

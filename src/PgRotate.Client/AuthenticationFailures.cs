using Npgsql;

namespace PgRotate.Client;

/// <summary>Which server errors mean the login itself was refused, so that a fresh credential may help.</summary>
internal static class AuthenticationFailures
{
    /// <summary>28P01 invalid_password (also an expired VALID UNTIL), 28000 invalid_authorization_specification (e.g. a login made NOLOGIN).</summary>
    public static bool IsRefusedLogin(PostgresException e) => e.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification;
}

using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Targets;

namespace PgRotate.Cli.Commands;

/// <summary>
/// How <c>target add</c> and <c>target update</c> take an admin credential: the password from standard input
/// (never from arguments), and one verifying connection before anything is stored.
/// </summary>
internal static class AdminCredentialInput
{
    /// <summary>
    /// With <paramref name="passwordStdin"/>, the first line of standard input; otherwise the password the connection
    /// string held (<paramref name="fromConnectionString"/>, possibly null).
    /// </summary>
    public static async Task<SecretText?> ReadPasswordAsync(CliContext context, SecretText? fromConnectionString, bool passwordStdin, CancellationToken cancellationToken)
    {
        if (!passwordStdin)
        {
            if (fromConnectionString is not null)
            {
                // The operator's own choice, but a careless one: any local user sees process arguments (ps, /proc) and
                // the shell keeps them in its history. Say so without refusing: the value is already exposed.
                await context.Host.Error.WriteLineAsync(
                    "pgrotate: warning: the admin password was given in --conn, where other local users can read it (process list) and the shell history keeps it; use --password-stdin, and consider 'pgrotate target rotate-admin' to replace it with one nobody has seen");
            }

            return fromConnectionString;
        }

        if (fromConnectionString is not null)
        {
            throw PgRotateException.InvalidInput("the connection string already holds a password; drop it or drop --password-stdin");
        }

        var line = await context.Host.In.ReadLineAsync(cancellationToken);
        return string.IsNullOrEmpty(line) ? throw PgRotateException.InvalidInput("--password-stdin given but standard input held no password") : new SecretText(line);
    }

    /// <summary>Connects once as the target's admin, the way every later command will; returns the server version.</summary>
    public static async Task<string> VerifyAsync(CliContext context, Target target, CancellationToken cancellationToken)
    {
        await using var connection = await context.Connector.OpenAdminAsync(target, cancellationToken);
        return connection.PostgreSqlVersion.ToString();
    }
}

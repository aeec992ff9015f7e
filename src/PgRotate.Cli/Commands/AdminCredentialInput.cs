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

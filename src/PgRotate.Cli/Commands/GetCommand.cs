using System.CommandLine;
using PgRotate.Audit;
using PgRotate.Credentials;
using PgRotate.Errors;
using PgRotate.Secrets;

namespace PgRotate.Cli.Commands;

/// <summary><c>pgrotate get NAME</c>: prints a credential, the one command whose output holds a password.</summary>
public static class GetCommand
{
    public static Command Create(CommandFactory commands)
    {
        var name = new Argument<string>("name") { Description = "Secret name" };
        var stage = new Option<string>("--stage") { Description = "current (what clients should use), previous (in grace) or pending (being rolled out)", DefaultValueFactory = _ => "current" };
        stage.AcceptOnlyFromAmong("current", "previous", "pending");
        var format = new Option<string>("--format") { Description = "json, env (PGHOST=… lines), pgpass (one .pgpass line), conn (Npgsql connection string) or service (pg_service.conf section). env, conn and service carry the target's TLS settings (sslmode, sslrootcert, channel_binding; verify-full off this machine unless the target sets another), so clients connect no weaker than pgrotate; a .pgpass line has no place for them: pair it with PGSSLMODE or a service entry", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong("json", "env", "pgpass", "conn", "service");
        return commands.Command("get", "Print a secret's credential (this prints the password: pipe it where it is needed)", async (context, parse, cancellationToken) =>
        {
            var secretName = SecretName.ParseSecret(parse.GetValue(name));
            var store = await context.OpenStoreAsync(cancellationToken);
            var secret = await store.GetSecretAsync(secretName, cancellationToken);
            var wanted = StageNames.Parse(parse.GetValue(stage)!);
            var version = await store.FindVersionAsync(secret.Name, wanted, cancellationToken)
                ?? throw new PgRotateException(ErrorCode.NotFound, $"secret {secret.Name} has no {wanted.WireName()} version");
            var target = await store.GetTargetAsync(secret.Target, cancellationToken);
            // Recorded before the credential is printed: a read that cannot be audited does not happen.
            await store.Audit.AppendAsync(new AuditRecord(AuditActions.CredentialRead, store.Actor, secret.Name, version.Number, Detail: $"stage {wanted.WireName()}"), cancellationToken);
            await context.Out.WriteAsync(CredentialFormats.Render(Credential.From(secret, target, version), CredentialFormats.Parse(parse.GetValue(format)!)));
            return ExitCodes.Ok;
        }, name, stage, format);
    }
}

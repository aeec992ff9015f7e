using System.CommandLine;
using PgRotate.Cli.Output;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Roles;
using PgRotate.Secrets;
using PgRotate.Wire;

namespace PgRotate.Cli.Commands;

/// <summary><c>pgrotate check [NAME]</c>: the drift doctor.</summary>
public static class CheckCommand
{
    public static Command Create(CommandFactory commands)
    {
        var name = new Argument<string?>("name") { Description = "Secret to check (default: all)", Arity = ArgumentArity.ZeroOrOne };
        return commands.Command("check",
            "Compare each secret's roles on its target with the pattern: membership, the role setting, settings that differ between the two logins, LOGIN on the group, privileges or objects held by a login role directly; and log in with the current credential (and the previous one during its grace). Exits non-zero when drift is found",
            async (context, parse, cancellationToken) =>
            {
                var only = parse.GetValue(name) is { } one ? SecretName.ParseSecret(one) : null;
                var store = await context.OpenStoreAsync(cancellationToken);
                var secrets = only is not null
                    ? [await store.GetSecretAsync(only, cancellationToken)]
                    : await store.ListSecretsAsync(cancellationToken);
                var drifts = new List<Drift>();
                foreach (var byTarget in secrets.GroupBy(s => s.Target))
                {
                    var target = await store.GetTargetAsync(byTarget.Key, cancellationToken);
                    await using var connection = await context.Connector.OpenAdminAsync(target, cancellationToken);
                    var tester = new CredentialTester(new TargetOperations(context.Connector, context.Time));
                    foreach (var secret in byTarget)
                    {
                        var found = await DriftDoctor.ExamineAsync(connection, secret, cancellationToken);
                        drifts.AddRange(found);
                        drifts.AddRange(await DriftDoctor.ExamineLoginsAsync(tester, target, secret,
                            await store.FindVersionAsync(secret.Name, Stage.Current, cancellationToken),
                            await store.FindVersionAsync(secret.Name, Stage.Previous, cancellationToken),
                            found, context.Time.GetUtcNow(), cancellationToken));
                    }
                }

                if (context.Json)
                {
                    await context.Out.WriteLineAsync(JsonOutput.Serialize(new Contracts.DriftReport(secrets.Count, [.. drifts.Select(d => d.ToContract())])));
                }
                else
                {
                    foreach (var secret in secrets)
                    {
                        var found = drifts.Where(d => d.Secret == secret.Name).ToList();
                        await context.Out.WriteLineAsync(found.Count == 0 ? $"ok     {secret.Name}" : $"DRIFT  {secret.Name}");
                        foreach (var drift in found)
                        {
                            await context.Out.WriteLineAsync($"       {drift.Kind}: {drift.Message}" + (drift.Fix is null ? "" : $"\n         fix: {drift.Fix};")
                                + (drift.Command is null ? "" : $"\n         fix: {drift.Command}"));
                        }
                    }
                }

                if (drifts.Count > 0)
                {
                    throw new PgRotateException(ErrorCode.DriftDetected, $"drift found in {drifts.Select(d => d.Secret).Distinct().Count()} of {secrets.Count} secret(s)");
                }

                return ExitCodes.Ok;
            }, name);
    }
}

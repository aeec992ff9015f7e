using System.CommandLine;
using PgRotate.Cli.Output;
using PgRotate.Rotation;
using PgRotate.Secrets;

namespace PgRotate.Cli.Commands;

/// <summary><c>pgrotate target rotate-admin NAME</c>: rotates the rotator's own credential.</summary>
public static class TargetRotateAdminCommand
{
    public static Command Create(CommandFactory commands)
    {
        var name = new Argument<string>("name") { Description = "Target name" };
        return commands.Command("rotate-admin",
            "Give the target's admin (rotator) login a new generated password that nobody knows: stored first, changed with ALTER ROLE CURRENT_USER as a SCRAM verifier, tested, then promoted. Every target registered with the same server (host and port) and admin user gets it too, since they share the role. Resumes after a crash",
            async (context, parse, cancellationToken) =>
            {
                var target = SecretName.ParseTarget(parse.GetValue(name));
                var store = await context.OpenStoreAsync(cancellationToken);
                var result = await new AdminRotation(store, context.Connector, context.Time).RotateAsync(target, cancellationToken);
                var others = result.Targets.Where(t => t != target).ToList();
                await context.Out.WriteLineAsync(context.Json
                    ? JsonOutput.Serialize(new Contracts.AdminRotationReport(target, result.Username, Rotated: true, result.Targets))
                    : $"rotated the admin password of target {target} ({result.Username}); the new one is stored encrypted and known to nobody" +
                      (others.Count == 0 ? "" : $"; also stored for {string.Join(", ", others)} (same server and admin user)"));
                return ExitCodes.Ok;
            }, name);
    }
}

using System.CommandLine;
using System.Globalization;
using PgRotate.Cli.Output;
using PgRotate.Secrets;

namespace PgRotate.Cli.Commands;

/// <summary><c>pgrotate history NAME</c>.</summary>
public static class HistoryCommand
{
    public static Command Create(CommandFactory commands)
    {
        var name = new Argument<string>("name") { Description = "Secret name" };
        return commands.Command("history", "Show what happened to a secret: creation, each rotation, failures, adoption", async (context, parse, cancellationToken) =>
        {
            var secretName = SecretName.ParseSecret(parse.GetValue(name));
            var store = await context.OpenStoreAsync(cancellationToken);
            var secret = await store.GetSecretAsync(secretName, cancellationToken);
            var entries = await store.ListHistoryAsync(secret.Name, cancellationToken);
            if (context.Json)
            {
                await context.Out.WriteLineAsync(JsonOutput.Serialize(entries.Select(e => new { at = e.At, @event = e.Event, version = e.Version, detail = e.Detail })));
            }
            else
            {
                TextTable.Write(context.Out, ["AT", "EVENT", "VERSION", "DETAIL"], entries.Select(e => (IReadOnlyList<string>)
                    [e.At.ToString("u", CultureInfo.InvariantCulture), e.Event, e.Version?.ToString(CultureInfo.InvariantCulture) ?? "-", e.Detail ?? ""]));
            }

            return ExitCodes.Ok;
        }, name);
    }
}

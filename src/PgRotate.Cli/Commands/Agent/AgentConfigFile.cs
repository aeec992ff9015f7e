using PgRotate.Contracts;
using PgRotate.Errors;

namespace PgRotate.Cli.Commands.Agent;

/// <summary>
/// <c>--config FILE</c>: the agent's settings as JSON (<see cref="AgentConfig"/>), for when the flags get long. Lists
/// add to the flags' lists; a flag given as well wins over a single value.
/// </summary>
internal static class AgentConfigFile
{
    public static async Task<AgentConfig> ReadAsync(string path, CancellationToken cancellationToken)
    {
        var text = await InputFile.ReadAsync(path, "the agent config", cancellationToken);
        try
        {
            return PgRotateJson.Deserialize<AgentConfig>(text) ?? throw PgRotateException.InvalidInput($"the agent config {path} is null; give a JSON object");
        }
        catch (Exception e) when (e is not (PgRotateException or OperationCanceledException))
        {
            // The reader's message names the field or position that is wrong; the file holds no secret (the token is in its own file).
            throw PgRotateException.InvalidInput($"the agent config {path} is not valid: {CliApp.OneLine(e.Message)}");
        }
    }
}

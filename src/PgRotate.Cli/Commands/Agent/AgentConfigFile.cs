using System.Text.Json;
using System.Text.Json.Serialization;
using PgRotate.Errors;

namespace PgRotate.Cli.Commands.Agent;

/// <summary>
/// <c>--config FILE</c>: the agent's settings as JSON, for when the flags get long. The fields are the flags' names in
/// camelCase; lists add to the flags' lists, and a flag given as well wins over a single value. A field the agent does
/// not know is refused, so a typo does not silently drop an output.
/// </summary>
internal sealed record AgentConfigFile(
    string? Server,
    string? TokenFile,
    string? CaCert,
    bool? InsecureHttp,
    IReadOnlyList<string>? Render,
    IReadOnlyList<string>? PgbouncerDatabases,
    string? PgbouncerPidfile,
    string? Exec)
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static readonly AgentConfigFile Empty = new(null, null, null, null, null, null, null, null);

    public static async Task<AgentConfigFile> ReadAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = File.OpenRead(path);
            return await JsonSerializer.DeserializeAsync<AgentConfigFile>(stream, Options, cancellationToken)
                ?? throw PgRotateException.InvalidInput($"the agent config {path} is empty (null)");
        }
        catch (JsonException e)
        {
            throw PgRotateException.InvalidInput($"the agent config {path} is not valid: {CliApp.OneLine(e.Message)}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw PgRotateException.InvalidInput($"cannot read the agent config {path}: {e.Message}");
        }
    }
}

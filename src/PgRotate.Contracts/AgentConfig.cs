using System.Text.Json.Serialization;

namespace PgRotate.Contracts;

/// <summary>
/// The file <c>pgrotate agent --config</c> reads: the agent's flags in camelCase. A field it does not know is refused,
/// so a misspelt field does not silently drop an output.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AgentConfig(
    string? Server,
    string? TokenFile,
    string? CaCert,
    bool? InsecureHttp,
    IReadOnlyList<string>? Render,
    IReadOnlyList<string>? PgbouncerDatabases,
    string? PgbouncerPidfile,
    string? Exec)
{
    public static AgentConfig Empty { get; } = new(null, null, null, null, null, null, null, null);
}

using System.Text.Json.Serialization;

namespace PgRotate.Contracts;

/// <summary>
/// The file <c>pgrotate agent --config</c> reads: the agent's flags in camelCase. A field it does not know is refused,
/// so a misspelt field does not silently drop an output. <see cref="Lease"/> puts every secret on a lease of the
/// agent's own, <see cref="LeaseSecrets"/> only the secrets it names (dynamic secrets beside shared ones).
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
    string? Exec,
    bool? Lease = null,
    IReadOnlyList<string>? LeaseSecrets = null,
    string? LeaseTtl = null,
    string? LeaseGrace = null)
{
    public static AgentConfig Empty { get; } = new(null, null, null, null, null, null, null, null);
}

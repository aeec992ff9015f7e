using System.Text.Json.Serialization;

namespace PgRotate.Contracts;

/// <summary>What happened to a secret. The wire names are also what the store records.</summary>
public enum HistoryEventKind
{
    /// <summary>The secret was registered with its first version.</summary>
    [JsonStringEnumMemberName("created")]
    Created,

    /// <summary>The first version became current.</summary>
    [JsonStringEnumMemberName("activated")]
    Activated,

    /// <summary>A new version was stored before the server was touched.</summary>
    [JsonStringEnumMemberName("pending")]
    Pending,

    /// <summary>A pending version was tested and became current.</summary>
    [JsonStringEnumMemberName("rotated")]
    Rotated,

    /// <summary>A pending version failed its test and was invalidated.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,

    /// <summary>Adoption of an existing single-user app started or finished.</summary>
    [JsonStringEnumMemberName("adoption")]
    Adoption,

    /// <summary>The secret's settings (schedule, grace, check SQL) were changed.</summary>
    [JsonStringEnumMemberName("updated")]
    Updated,
}

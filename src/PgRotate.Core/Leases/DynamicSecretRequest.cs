namespace PgRotate.Leases;

/// <summary>What <c>pgrotate secret add --strategy dynamic</c> was asked for.</summary>
public sealed record DynamicSecretRequest(
    string Name,
    string Target,
    string Group,
    TimeSpan? DefaultTtl = null,
    TimeSpan? MaxTtl = null,
    string? NameTemplate = null);

using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace PgRotate.Server.VaultCompatibility;

/// <summary>
/// Vault's JSON convention, which its clients parse: snake_case fields, every field written (null included), and the
/// media type <c>application/json</c> without parameters (hvac reads the <c>errors</c> of a failed answer only when
/// the Content-Type is exactly that).
/// </summary>
internal static class VaultJson
{
    public const string ContentType = "application/json";

    public static JsonSerializerOptions Options { get; } = Create();

    public static IResult Result<T>(T value) => Results.Bytes(JsonSerializer.SerializeToUtf8Bytes(value, Options), ContentType);

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.General)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            PropertyNameCaseInsensitive = false,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

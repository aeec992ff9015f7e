using System.Text.Json;
using System.Text.Json.Serialization;

namespace PgRotate.Cli.Output;

/// <summary>The one JSON shape of CLI output: camelCase, indented, nulls kept so scripts see every field.</summary>
public static class JsonOutput
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static string Serialize(object value) => JsonSerializer.Serialize(value, Options);
}

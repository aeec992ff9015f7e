using System.Text.Json;
using System.Text.Json.Serialization;

namespace PgRotate.Contracts;

/// <summary>
/// The one JSON convention of everything pgrotate writes for machines: camelCase fields, enums as their wire names
/// (each enum member carries its name in <see cref="JsonStringEnumMemberNameAttribute"/>, or snake_case of its C# name),
/// nulls written so that a reader sees every field, indented for people reading along.
/// </summary>
public static class PgRotateJson
{
    /// <summary>Read-only, so no caller can change the convention for everyone else.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions(indented: true);

    private static JsonSerializerOptions LineOptions { get; } = CreateOptions(indented: false);

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>
    /// The same convention on one line, for output read a line at a time as it grows (JSON Lines, e.g. a followed log).
    /// </summary>
    public static string SerializeLine<T>(T value) => JsonSerializer.Serialize(value, LineOptions);

    public static T? Deserialize<T>(string json) => JsonSerializer.Deserialize<T>(json, Options);

    /// <summary>An enum value's wire name, e.g. <c>HistoryEventKind.Rotated</c> → <c>rotated</c>.</summary>
    public static string WireName<TEnum>(TEnum value)
        where TEnum : struct, Enum =>
        JsonSerializer.Deserialize<string>(JsonSerializer.Serialize(value, Options), Options)!;

    /// <summary>The enum value with this wire name, or null when no member has it.</summary>
    public static TEnum? ParseWireName<TEnum>(string wireName)
        where TEnum : struct, Enum
    {
        try
        {
            return JsonSerializer.Deserialize<TEnum>(JsonSerializer.Serialize(wireName, Options), Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonSerializerOptions CreateOptions(bool indented)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = indented,
            // Numbers as numbers only: Web defaults would also read "5" as 5.
            NumberHandling = JsonNumberHandling.Strict,
            // Only wire names are accepted when reading, never an enum's number.
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false) },
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

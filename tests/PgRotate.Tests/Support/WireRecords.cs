using System.Text.Json;
using System.Text.Json.Serialization;
using PgRotate.Contracts;

namespace PgRotate.Tests.Support;

/// <summary>
/// Reads what a command wrote for machines back into its contract record, strictly: a field the record does not have,
/// or one it has that the output lacks, fails; so does output that the record, written again with
/// <see cref="PgRotateJson"/>, does not reproduce exactly.
/// </summary>
public static class WireRecords
{
    private static readonly JsonSerializerOptions Strict = new(PgRotateJson.Options)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
    };

    /// <param name="fields">The top-level field names, in order, that scripts rely on: renaming or dropping one fails.</param>
    public static T Parse<T>(string output, params string[] fields)
    {
        var json = output.TrimEnd('\n');
        Assert.Equal(fields, Fields(JsonDocument.Parse(json).RootElement));
        var record = JsonSerializer.Deserialize<T>(json, Strict);
        Assert.NotNull(record);
        Assert.Equal(json, PgRotateJson.Serialize(record));
        return record;
    }

    /// <summary>The field names of one JSON object, in order.</summary>
    public static IReadOnlyList<string> Fields(JsonElement element) => [.. element.EnumerateObject().Select(p => p.Name)];

    /// <summary>The field names of the object in field <paramref name="name"/> of <paramref name="output"/> (the first element if it is an array).</summary>
    public static IReadOnlyList<string> FieldsOf(string output, string name)
    {
        var value = JsonDocument.Parse(output).RootElement.GetProperty(name);
        return Fields(value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().First() : value);
    }
}

using PgRotate.Contracts;

namespace PgRotate.Tests.Contracts;

/// <summary>JSON Lines output (<see cref="PgRotateJson.SerializeLine{T}"/>): the one convention, on one line.</summary>
public sealed class JsonLinesTests
{
    [Fact]
    public void A_record_on_one_line_has_the_same_fields_and_wire_names_as_the_indented_form()
    {
        var record = new HistoryEvent(DateTimeOffset.UnixEpoch, HistoryEventKind.Rotated, 2, "app_b", "cli:alice", null);

        var line = PgRotateJson.SerializeLine(record);

        Assert.DoesNotContain('\n', line);
        Assert.Equal("""{"at":"1970-01-01T00:00:00+00:00","event":"rotated","version":2,"login":"app_b","actor":"cli:alice","detail":null}""", line);
        Assert.Equal(record, PgRotateJson.Deserialize<HistoryEvent>(line));
        Assert.Equal(PgRotateJson.Serialize(record).Replace("\n", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal), line);
    }
}

using System.Text.Json;
using PgRotate.Contracts;

namespace PgRotate.Tests.Contracts;

/// <summary>The one JSON convention: camelCase fields, enums by wire name only, options nobody can change, no password in ToString.</summary>
public sealed class PgRotateJsonTests
{
    [Fact]
    public void Every_history_kind_round_trips_through_its_wire_name_and_nothing_else_parses()
    {
        Assert.All(Enum.GetValues<HistoryEventKind>(), kind => Assert.Equal(kind, PgRotateJson.ParseWireName<HistoryEventKind>(PgRotateJson.WireName(kind))));
        Assert.Equal(
            ["created", "activated", "pending", "rotated", "failed", "adoption", "updated"],
            Enum.GetValues<HistoryEventKind>().Select(PgRotateJson.WireName));
        Assert.Null(PgRotateJson.ParseWireName<HistoryEventKind>("0"));
        Assert.Null(PgRotateJson.ParseWireName<HistoryEventKind>("promoted"));
    }

    [Fact]
    public void Records_are_written_with_camel_case_fields_and_snake_case_enum_values()
    {
        var summary = new SecretSummary("orders/app", "db", RotationStrategy.Alternating, "app", ["app_a", "app_b"], "app_a", 1,
            null, "every 30d", null, SecretStatus.Interrupted);

        var json = JsonDocument.Parse(PgRotateJson.Serialize(summary)).RootElement;

        Assert.Equal(
            ["name", "target", "strategy", "group", "logins", "currentLogin", "version", "rotatedAt", "schedule", "nextRotationAt", "status", "timeZone", "window", "jitter", "consecutiveFailures", "nextAttemptAt", "lastError"],
            json.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("alternating", "interrupted", JsonValueKind.Null), (json.GetProperty("strategy").GetString(), json.GetProperty("status").GetString(), json.GetProperty("rotatedAt").ValueKind));
        Assert.Equal("{\"error\":{\"code\":\"not_found\",\"message\":\"m\"}}",
            PgRotateJson.Serialize(new ErrorResponse(new ErrorDetail("not_found", "m"))).Replace("\n", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal));
    }

    [Fact]
    public void The_shared_options_cannot_be_changed_by_a_caller()
    {
        Assert.True(PgRotateJson.Options.IsReadOnly);
        Assert.Throws<InvalidOperationException>(() => PgRotateJson.Options.WriteIndented = false);
    }

    [Fact]
    public void A_credential_record_printed_as_text_does_not_show_its_password()
    {
        var credential = new Credential("orders/app", "app_a", "Secret-Password-1234", "db", 5432, "orders", 3, CredentialStage.Current, null, null, "verify-full", null, null);

        Assert.DoesNotContain("Secret-Password-1234", credential.ToString(), StringComparison.Ordinal);
        Assert.Contains("Secret-Password-1234", PgRotateJson.Serialize(credential), StringComparison.Ordinal);
    }
}

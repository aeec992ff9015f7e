using PgRotate.Contracts;
using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Secrets;
using PgRotate.Wire;

namespace PgRotate.Tests.Contracts;

/// <summary>A stored history entry becomes a typed event; a name no kind has means the store was tampered with or damaged.</summary>
public sealed class HistoryEventMappingTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void An_entry_gets_its_kind_its_versions_login_and_its_actor()
    {
        SecretVersion[] versions = [new("orders/app", 2, "app_b", PasswordGenerator.Generate(), Stage.Current, At, At, null)];

        var rotated = new HistoryEntry(7, "orders/app", 2, "rotated", "login app_b", At) { Actor = "cli:alice" }.ToContract(versions);
        var adoption = new HistoryEntry(8, "orders/app", null, "adoption", "adopted", At).ToContract(versions);

        Assert.Equal(new HistoryEvent(At, HistoryEventKind.Rotated, 2, "app_b", "cli:alice", "login app_b"), rotated);
        Assert.Equal(new HistoryEvent(At, HistoryEventKind.Adoption, null, null, null, "adopted"), adoption);
    }

    [Fact]
    public void An_entry_with_an_unknown_event_name_is_reported_as_a_damaged_store()
    {
        var entry = new HistoryEntry(7, "orders/app", 2, "promoted", null, At);

        var error = Assert.Throws<PgRotateException>(() => entry.ToContract([]));

        Assert.Equal(ErrorCode.StoreCorrupt, error.Code);
    }
}

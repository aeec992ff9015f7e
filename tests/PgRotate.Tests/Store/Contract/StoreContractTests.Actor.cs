using PgRotate.Store;

namespace PgRotate.Tests.Store.Contract;

/// <summary>Who acts through a store is given when it is opened and cannot be changed; a view acts for someone else.</summary>
public abstract partial class StoreContractTests
{
    [Fact]
    public async Task The_actor_given_at_open_is_recorded_with_each_history_entry_and_a_view_records_its_own()
    {
        var store = await ActiveSecretAsync("orders/app");
        var alice = Track(await OpenAgainAsync(store, Key, "cli:alice"));
        var view = alice.WithActor("server:token-1");

        await alice.AppendHistoryAsync("orders/app", null, "updated", "by alice", Ct);
        await view.AppendHistoryAsync("orders/app", null, "updated", "by the token", Ct);
        await alice.AppendHistoryAsync("orders/app", null, "updated", "by alice again", Ct);

        Assert.Equal(("cli:alice", "server:token-1"), (alice.Actor, view.Actor));
        Assert.Equal(["cli:alice", "server:token-1", "cli:alice"],
            (await store.ListHistoryAsync("orders/app", null, null, Ct)).Where(e => e.Event == "updated").Select(e => e.Actor));
    }

    [Fact]
    public async Task The_actor_cannot_be_changed_on_an_open_store()
    {
        var store = await NewStoreAsync();

        Assert.False(typeof(ISecretStore).GetProperty(nameof(ISecretStore.Actor))!.CanWrite);
        Assert.False(store.GetType().GetProperty(nameof(ISecretStore.Actor))!.CanWrite);
    }
}

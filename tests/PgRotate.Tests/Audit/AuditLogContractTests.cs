using Microsoft.Extensions.Time.Testing;
using PgRotate.Audit;
using PgRotate.Crypto;
using PgRotate.Store;

namespace PgRotate.Tests.Audit;

/// <summary>
/// What every store's audit log must do, run against each store through a subclass that says how to create one, open it
/// again, and edit its stored log behind its back (as someone without the master key would): entries chain in order,
/// appends from several processes never fork the chain, and verification names the first entry that was edited,
/// deleted, inserted or moved.
/// </summary>
public abstract class AuditLogContractTests : IAsyncDisposable
{
    private readonly List<ISecretStore> _opened = [];

    protected MasterKey Key { get; } = MasterKey.Generate();

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A new, empty store of this kind (one per test). The base class closes it.</summary>
    protected abstract Task<ISecretStore> CreateStoreAsync(MasterKey key);

    /// <summary>The same store opened anew, as another process would. The base class closes it.</summary>
    protected abstract Task<ISecretStore> OpenAgainAsync(ISecretStore store, MasterKey key);

    /// <summary>The audit table's name for <see cref="TamperAsync"/>'s SQL.</summary>
    protected abstract string AuditTable { get; }

    /// <summary>Removes the store's append-only guard and runs <paramref name="sql"/> on the stored data, without the master key.</summary>
    protected abstract Task TamperAsync(ISecretStore store, string sql);

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _opened)
        {
            await store.DisposeAsync();
        }

        Key.Dispose();
        await CleanUpAsync();
        GC.SuppressFinalize(this);
    }

    protected virtual ValueTask CleanUpAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Entries_read_back_in_order_with_what_was_recorded_and_verify_intact()
    {
        var store = await NewStoreWithEntriesAsync(3);
        var read = new AuditRecord(AuditActions.CredentialRead, "cli:alice", "orders/app", 7, "10.0.0.5", "format json");
        var appended = await store.Audit.AppendAsync(read, Ct);

        var entries = await store.Audit.ListAsync(0, 100, Ct);

        Assert.Equal([1L, 2, 3, 4], entries.Select(e => e.Sequence));
        Assert.Equal(read, entries[^1].Record);
        Assert.Equal(appended.Hash, entries[^1].Hash);
        Assert.Equal(AuditChain.Normalize(Time.GetUtcNow()), entries[^1].At);
        Assert.Equal([3L, 4], (await store.Audit.ListAsync(2, 100, Ct)).Select(e => e.Sequence));
        Assert.Equal([1L], (await store.Audit.ListAsync(0, 1, Ct)).Select(e => e.Sequence));
        Assert.Equal(new AuditVerification(4, null, null), await store.Audit.VerifyAsync(Ct));
    }

    [Fact]
    public async Task An_empty_log_verifies_intact()
    {
        var store = Track(await CreateStoreAsync(Key));

        Assert.True((await store.Audit.VerifyAsync(Ct)).Intact);
    }

    [Fact]
    public async Task Appends_from_two_processes_at_once_form_one_chain()
    {
        var first = await NewStoreWithEntriesAsync(0);
        var second = Track(await OpenAgainAsync(first, Key));

        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() =>
            (i % 2 == 0 ? first : second).Audit.AppendAsync(new AuditRecord("test.append", $"writer{i % 2}", Detail: i.ToString(System.Globalization.CultureInfo.InvariantCulture)), Ct), Ct)));

        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), (await first.Audit.ListAsync(0, 100, Ct)).Select(e => e.Sequence));
        Assert.Equal(new AuditVerification(40, null, null), await second.Audit.VerifyAsync(Ct));
    }

    [Fact]
    public async Task A_batch_appends_in_order_and_the_chain_runs_on_across_batches_and_single_appends()
    {
        var store = await NewStoreWithEntriesAsync(2);
        AuditRecord[] batch = [new("test.batch", "token:a", "orders/app", 3, "10.0.0.1", "current"), new("test.batch", "token:b"), new("test.batch", "token:c", Detail: "third")];

        var appended = await store.Audit.AppendManyAsync(batch, Ct);
        Time.Advance(TimeSpan.FromSeconds(1));
        var next = await store.Audit.AppendManyAsync([new AuditRecord("test.batch", "token:d")], Ct);
        var single = await store.Audit.AppendAsync(new AuditRecord("test.single", "cli:alice"), Ct);

        var entries = await store.Audit.ListAsync(0, 100, Ct);
        Assert.Equal([3L, 4, 5], appended.Select(e => e.Sequence));
        Assert.Equal(batch, entries.Skip(2).Take(3).Select(e => e.Record));
        Assert.Equal(appended.Select(e => e.Hash), entries.Skip(2).Take(3).Select(e => e.Hash));
        Assert.Equal(6L, next.Single().Sequence);
        Assert.Equal(7L, single.Sequence);
        Assert.Empty(await store.Audit.AppendManyAsync([], Ct));
        Assert.Equal(new AuditVerification(7, null, null), await store.Audit.VerifyAsync(Ct));
    }

    [Fact]
    public async Task Batches_from_two_processes_at_once_form_one_chain()
    {
        var first = await NewStoreWithEntriesAsync(0);
        var second = Track(await OpenAgainAsync(first, Key));

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() =>
            (i % 2 == 0 ? first : second).Audit.AppendManyAsync(
                [.. Enumerable.Range(0, 5).Select(j => new AuditRecord("test.batch", $"writer{i % 2}", Detail: $"{i}.{j}"))], Ct), Ct)));

        var entries = await first.Audit.ListAsync(0, 200, Ct);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), entries.Select(e => e.Sequence));
        // Each batch is one transaction: its five entries sit together, in the order given.
        Assert.All(entries.Chunk(5), chunk => Assert.Equal(
            Enumerable.Range(0, 5).Select(j => chunk[0].Record.Detail![..chunk[0].Record.Detail!.IndexOf('.', StringComparison.Ordinal)] + "." + j),
            chunk.Select(e => e.Record.Detail)));
        Assert.Equal(new AuditVerification(100, null, null), await second.Audit.VerifyAsync(Ct));
    }

    [Fact]
    public async Task The_log_refuses_plain_updates_and_deletes()
    {
        var store = await NewStoreWithEntriesAsync(2);

        await Assert.ThrowsAnyAsync<Exception>(() => ExecuteUnguardedAsync(store, $"UPDATE {AuditTable} SET detail = 'x' WHERE sequence = 1"));
        await Assert.ThrowsAnyAsync<Exception>(() => ExecuteUnguardedAsync(store, $"DELETE FROM {AuditTable} WHERE sequence = 1"));
        Assert.True((await store.Audit.VerifyAsync(Ct)).Intact);
    }

    [Fact]
    public async Task An_edited_entry_is_named()
    {
        var store = await NewStoreWithEntriesAsync(5);

        await TamperAsync(store, $"UPDATE {AuditTable} SET actor = 'cli:mallory' WHERE sequence = 3");

        var verification = await store.Audit.VerifyAsync(Ct);
        Assert.Equal(3, verification.FirstBadSequence);
        Assert.Equal(2, verification.EntriesChecked);
        Assert.Contains("edited", verification.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_entry_with_a_hash_recomputed_without_the_key_is_named()
    {
        var store = await NewStoreWithEntriesAsync(4);
        using var otherKey = MasterKey.Generate();
        var entries = await store.Audit.ListAsync(0, 10, Ct);
        var forged = entries[1].Record with { Detail = "forged" };
        var hash = new AuditChain(otherKey).Hash(entries[0].Hash, 2, entries[1].At, forged);

        await TamperAsync(store, $"UPDATE {AuditTable} SET detail = 'forged', hash = '{hash}' WHERE sequence = 2");

        Assert.Equal(2, (await store.Audit.VerifyAsync(Ct)).FirstBadSequence);
    }

    [Fact]
    public async Task A_deleted_entry_is_named_as_missing()
    {
        var store = await NewStoreWithEntriesAsync(5);

        await TamperAsync(store, $"DELETE FROM {AuditTable} WHERE sequence = 3");

        var verification = await store.Audit.VerifyAsync(Ct);
        Assert.Equal(3, verification.FirstBadSequence);
        Assert.Contains("missing", verification.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deletion_with_the_later_entries_renumbered_breaks_the_link()
    {
        var store = await NewStoreWithEntriesAsync(5);

        await TamperAsync(store, $"DELETE FROM {AuditTable} WHERE sequence = 3");
        await TamperAsync(store, $"UPDATE {AuditTable} SET sequence = sequence + 1000 WHERE sequence > 3");
        await TamperAsync(store, $"UPDATE {AuditTable} SET sequence = sequence - 1001 WHERE sequence > 1000");

        var verification = await store.Audit.VerifyAsync(Ct);
        Assert.Equal(3, verification.FirstBadSequence);
        Assert.Contains("does not link", verification.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Entries_deleted_from_the_end_are_found_by_the_head()
    {
        var store = await NewStoreWithEntriesAsync(5);

        await TamperAsync(store, $"DELETE FROM {AuditTable} WHERE sequence >= 4");

        var verification = await store.Audit.VerifyAsync(Ct);
        Assert.Equal(4, verification.FirstBadSequence);
        Assert.Equal(3, verification.EntriesChecked);
    }

    [Fact]
    public async Task An_inserted_entry_is_named()
    {
        var store = await NewStoreWithEntriesAsync(5);

        await TamperAsync(store, $"UPDATE {AuditTable} SET sequence = sequence + 1000 WHERE sequence >= 3");
        await TamperAsync(store, $"UPDATE {AuditTable} SET sequence = sequence - 999 WHERE sequence >= 1000");
        await TamperAsync(store,
            $"INSERT INTO {AuditTable}(sequence, at, action, actor, previous_hash, hash) SELECT 3, at, 'credential.read', 'cli:mallory', hash, hash FROM {AuditTable} WHERE sequence = 2");

        var verification = await store.Audit.VerifyAsync(Ct);
        Assert.Equal(3, verification.FirstBadSequence);
        Assert.Equal(2, verification.EntriesChecked);
    }

    [Fact]
    public async Task Two_swapped_entries_are_named_at_the_first()
    {
        var store = await NewStoreWithEntriesAsync(5);

        await TamperAsync(store, $"UPDATE {AuditTable} SET sequence = -3 WHERE sequence = 3");
        await TamperAsync(store, $"UPDATE {AuditTable} SET sequence = 3 WHERE sequence = 4");
        await TamperAsync(store, $"UPDATE {AuditTable} SET sequence = 4 WHERE sequence = -3");

        var verification = await store.Audit.VerifyAsync(Ct);
        Assert.Equal(3, verification.FirstBadSequence);
        Assert.Contains("does not link", verification.Problem, StringComparison.Ordinal);
    }

    /// <summary>Runs SQL without removing the guard: what a mistaken edit meets.</summary>
    protected abstract Task ExecuteUnguardedAsync(ISecretStore store, string sql);

    private async Task<ISecretStore> NewStoreWithEntriesAsync(int count)
    {
        var store = Track(await CreateStoreAsync(Key));
        for (var i = 1; i <= count; i++)
        {
            Time.Advance(TimeSpan.FromSeconds(1.2345));
            await store.Audit.AppendAsync(new AuditRecord(AuditActions.RotationFinished, "cli:alice", $"app/{i}", i, null, $"login app_{i}"), Ct);
        }

        return store;
    }

    private ISecretStore Track(ISecretStore store)
    {
        _opened.Add(store);
        return store;
    }
}

using Microsoft.Extensions.Time.Testing;
using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Rotation;
using PgRotate.Scheduling;
using PgRotate.Secrets;
using PgRotate.Store;
using PgRotate.Targets;

namespace PgRotate.Tests.Store.Contract;

/// <summary>
/// What every <see cref="ISecretStore"/> must do, run against each implementation through a subclass that says how to
/// create a fresh store, open it again, and edit or damage it behind its back. Every operation, its errors (not found,
/// already exists, row modified, damaged value) and what survives the end of the process that wrote it.
/// </summary>
public abstract partial class StoreContractTests : IAsyncDisposable
{
    private readonly List<ISecretStore> _opened = [];

    protected StoreContractTests()
    {
        Key = MasterKey.Generate();
    }

    protected MasterKey Key { get; }

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A new, empty store of this kind, sealed with <paramref name="key"/> (one per test). The base class closes it.</summary>
    protected abstract Task<ISecretStore> CreateStoreAsync(MasterKey key);

    /// <summary>
    /// The same store opened anew, as a later process would (nothing shared with <paramref name="store"/> but the stored
    /// data), acting for <paramref name="actor"/>. The base class closes it.
    /// </summary>
    protected abstract Task<ISecretStore> OpenAgainAsync(ISecretStore store, MasterKey key, string? actor = null);

    /// <summary>Changes a target's admin username in the stored data without the master key.</summary>
    protected abstract Task ChangeTargetUsernameBehindTheStoreAsync(ISecretStore store, string target, string username);

    /// <summary>Flips a bit of the sealed password of one version in the stored data.</summary>
    protected abstract Task DamageVersionPasswordAsync(ISecretStore store, string secret, int version);

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

    /// <summary>Removes what <see cref="CreateStoreAsync"/> made, after every store of the test is closed.</summary>
    protected virtual ValueTask CleanUpAsync() => ValueTask.CompletedTask;

    // Targets.

    [Fact]
    public async Task A_target_reads_back_as_it_was_added_with_its_password()
    {
        var store = await NewStoreAsync();
        var target = NewTarget("orders-db");
        await store.AddTargetAsync(target, Ct);

        var read = await store.GetTargetAsync("orders-db", Ct);
        Assert.Equal(target.ConnectionString, read.ConnectionString);
        Assert.Equal(target.Username, read.Username);
        Assert.Equal(target.Password.Reveal(), read.Password.Reveal());
    }

    [Fact]
    public async Task Adding_a_target_twice_fails_with_already_exists_and_keeps_the_first()
    {
        var store = await NewStoreAsync();
        await store.AddTargetAsync(NewTarget("orders-db"), Ct);

        var refused = await Assert.ThrowsAsync<PgRotateException>(() => store.AddTargetAsync(NewTarget("orders-db", username: "other"), Ct));

        Assert.Equal(ErrorCode.AlreadyExists, refused.Code);
        Assert.Equal("rotator", (await store.GetTargetAsync("orders-db", Ct)).Username);
    }

    [Fact]
    public async Task An_unknown_target_is_not_found_by_every_operation_that_names_one()
    {
        var store = await NewStoreAsync();

        foreach (var operation in new Func<Task>[]
                 {
                     () => store.GetTargetAsync("nowhere", Ct),
                     () => store.UpdateTargetAsync(NewTarget("nowhere"), true, Ct),
                     () => store.RemoveTargetAsync("nowhere", false, Ct),
                     () => store.LoadAdminRotationStateAsync("nowhere", Ct),
                     () => store.AddPendingAdminVersionAsync(AdminVersion("nowhere", 1, "x"), Ct),
                 })
        {
            Assert.Equal(ErrorCode.NotFound, (await Assert.ThrowsAsync<PgRotateException>(operation)).Code);
        }
    }

    [Fact]
    public async Task Targets_are_listed_in_name_order()
    {
        var store = await NewStoreAsync();
        await store.AddTargetAsync(NewTarget("zeta"), Ct);
        await store.AddTargetAsync(NewTarget("alpha"), Ct);

        Assert.Equal(["alpha", "zeta"], (await store.ListTargetsAsync(Ct)).Select(t => t.Name));
    }

    [Fact]
    public async Task Updating_a_target_changes_its_address_user_and_password()
    {
        var store = await NewStoreAsync();
        await store.AddTargetAsync(NewTarget("orders-db"), Ct);

        await store.UpdateTargetAsync(new Target("orders-db", "Host=elsewhere;Database=orders", "admin2", new SecretText("new-password")), true, Ct);

        var read = await store.GetTargetAsync("orders-db", Ct);
        Assert.Equal(("Host=elsewhere;Database=orders", "admin2", "new-password"), (read.ConnectionString, read.Username, read.Password.Reveal()));
    }

    [Fact]
    public async Task A_target_in_use_is_removed_only_with_its_secrets()
    {
        var store = await NewStoreAsync();
        await store.AddTargetAsync(NewTarget("orders-db"), Ct);
        await store.AddSecretAsync(NewSecret("orders/app"), FirstVersion("orders/app"), Ct);

        var refused = await Assert.ThrowsAsync<PgRotateException>(() => store.RemoveTargetAsync("orders-db", false, Ct));
        Assert.Equal(ErrorCode.IncompatibleState, refused.Code);
        Assert.Contains("orders/app", refused.Message);
        Assert.NotNull(await store.FindSecretAsync("orders/app", Ct));

        Assert.Equal(["orders/app"], await store.RemoveTargetAsync("orders-db", true, Ct));
        Assert.Empty(await store.ListTargetsAsync(Ct));
        Assert.Null(await store.FindSecretAsync("orders/app", Ct));
        Assert.Empty(await store.ListVersionsAsync("orders/app", Ct));
    }

    // Secrets.

    [Fact]
    public async Task A_secret_reads_back_as_it_was_added_with_its_first_version_pending()
    {
        var store = await StoreWithTargetAsync();
        var secret = NewSecret("orders/app") with { Schedule = Schedule.Every(TimeSpan.FromDays(30)), Grace = TimeSpan.FromHours(1), CheckSql = "SELECT 1" };
        await store.AddSecretAsync(secret, FirstVersion("orders/app"), Ct);

        Assert.Equal(secret, await store.GetSecretAsync("orders/app", Ct));
        var pending = await store.FindVersionAsync("orders/app", Stage.Pending, Ct);
        Assert.Equal((1, "app_a", "first-password"), (pending?.Number, pending?.Username, pending?.Password.Reveal()));
        Assert.Equal(["created"], (await store.ListHistoryAsync("orders/app", null, null, Ct)).Select(h => h.Event));
    }

    [Fact]
    public async Task Adding_a_secret_twice_fails_with_already_exists()
    {
        var store = await StoreWithTargetAsync();
        await store.AddSecretAsync(NewSecret("orders/app"), FirstVersion("orders/app"), Ct);

        var refused = await Assert.ThrowsAsync<PgRotateException>(() => store.AddSecretAsync(NewSecret("orders/app"), FirstVersion("orders/app"), Ct));

        Assert.Equal(ErrorCode.AlreadyExists, refused.Code);
        Assert.Single(await store.ListVersionsAsync("orders/app", Ct));
    }

    [Fact]
    public async Task An_unknown_secret_is_not_found_by_every_operation_that_needs_one()
    {
        var store = await StoreWithTargetAsync();

        Assert.Null(await store.FindSecretAsync("orders/none", Ct));
        foreach (var operation in new Func<Task>[]
                 {
                     () => store.GetSecretAsync("orders/none", Ct),
                     () => store.RemoveSecretAsync("orders/none", Ct),
                     () => store.LoadRotationStateAsync("orders/none", Ct),
                     () => store.UpdateSecretSettingsAsync("orders/none", null, null, null, null, "nothing", Ct),
                 })
        {
            Assert.Equal(ErrorCode.NotFound, (await Assert.ThrowsAsync<PgRotateException>(operation)).Code);
        }
    }

    [Fact]
    public async Task Secrets_are_listed_in_name_order()
    {
        var store = await StoreWithTargetAsync();
        await store.AddSecretAsync(NewSecret("b/app"), FirstVersion("b/app"), Ct);
        await store.AddSecretAsync(NewSecret("a/app"), FirstVersion("a/app"), Ct);

        Assert.Equal(["a/app", "b/app"], (await store.ListSecretsAsync(Ct)).Select(s => s.Name));
    }

    [Fact]
    public async Task Deleting_and_removing_a_secret_forget_its_versions_and_history()
    {
        var store = await StoreWithTargetAsync();
        await store.AddSecretAsync(NewSecret("orders/app"), FirstVersion("orders/app"), Ct);
        await store.AddSecretAsync(NewSecret("orders/web"), FirstVersion("orders/web"), Ct);

        await store.DeleteSecretAsync("orders/app", Ct);
        await store.RemoveSecretAsync("orders/web", Ct);

        foreach (var name in new[] { "orders/app", "orders/web" })
        {
            Assert.Null(await store.FindSecretAsync(name, Ct));
            Assert.Empty(await store.ListVersionsAsync(name, Ct));
            Assert.Empty(await store.ListHistoryAsync(name, null, null, Ct));
        }
    }

    [Fact]
    public async Task Adoption_and_settings_changes_are_stored_and_recorded_in_the_history()
    {
        var store = await StoreWithTargetAsync();
        await store.AddSecretAsync(NewSecret("orders/app"), FirstVersion("orders/app"), Ct);
        var next = Time.GetUtcNow().AddDays(7);

        await store.SetAdoptionAsync("orders/app", Adoption.Adopting, Ct);
        await store.UpdateSecretSettingsAsync("orders/app", Schedule.Every(TimeSpan.FromDays(7)), TimeSpan.FromMinutes(5), "SELECT 2", next, "every 7d", Ct);

        var read = await store.GetSecretAsync("orders/app", Ct);
        Assert.Equal((Adoption.Adopting, "7d", TimeSpan.FromMinutes(5), "SELECT 2", next), (read.Adoption, Durations.Format(read.Schedule!.Interval!.Value), read.Grace, read.CheckSql, read.NextRotationAt));
        Assert.Equal(["created", "adoption", "updated"], (await store.ListHistoryAsync("orders/app", null, null, Ct)).Select(h => h.Event));
    }

    // Versions.

    [Fact]
    public async Task Activating_the_first_version_makes_it_current_and_sets_the_next_rotation()
    {
        var store = await StoreWithTargetAsync();
        await store.AddSecretAsync(NewSecret("orders/app"), FirstVersion("orders/app"), Ct);
        var next = Time.GetUtcNow().AddDays(30);

        await store.PromoteAsync(new Promotion("orders/app", 1, null, next, "first credential", Event: "activated"), Ct);

        var state = await store.LoadRotationStateAsync("orders/app", Ct);
        Assert.Equal((1, null, 1), (state.Current?.Number, state.Pending?.Number, state.HighestVersion));
        Assert.Equal("first-password", state.Current!.Password.Reveal());
        Assert.Equal("orders-db", state.Target.Name);
        Assert.Equal(next, state.Secret.NextRotationAt);
        Assert.Equal(Time.GetUtcNow(), state.Current.ActivatedAt);
        Assert.Equal("activated", (await store.ListHistoryAsync("orders/app", null, null, Ct))[^1].Event);
    }

    [Fact]
    public async Task A_rotation_moves_the_stages_and_keeps_the_grace_end_until_it_is_applied()
    {
        var store = await ActiveSecretAsync("orders/app");
        await store.AddPendingVersionAsync(Version("orders/app", 2, "app_b", "second"), true, Ct);
        Assert.Contains("orders/app", await store.ListInterruptedRotationsAsync(Ct));
        Assert.Equal(2, (await store.LoadRotationStateAsync("orders/app", Ct)).Pending?.Number);

        var graceEnd = Time.GetUtcNow().AddHours(1);
        await store.PromoteAsync(new Promotion("orders/app", 2, graceEnd, null, "login app_b"), Ct);

        Assert.DoesNotContain("orders/app", await store.ListInterruptedRotationsAsync(Ct));
        var versions = await store.ListVersionsAsync("orders/app", Ct);
        Assert.Equal([(1, Stage.Previous), (2, Stage.Current)], versions.Select(v => (v.Number, v.Stage)));
        Assert.Equal(graceEnd, versions[0].ValidUntil);
        Assert.Equal([new UnappliedGrace("orders/app", 1, "app_a", graceEnd)], await store.ListUnappliedGraceAsync(Ct));

        await store.MarkGraceAppliedAsync("orders/app", 1, Ct);
        Assert.Empty(await store.ListUnappliedGraceAsync(Ct));

        await store.AddPendingVersionAsync(Version("orders/app", 3, "app_a", "third"), true, Ct);
        await store.PromoteAsync(new Promotion("orders/app", 3, null, null, "login app_a"), Ct);
        Assert.Equal([(1, Stage.Retired), (2, Stage.Previous), (3, Stage.Current)],
            (await store.ListVersionsAsync("orders/app", Ct)).Select(v => (v.Number, v.Stage)));
    }

    [Fact]
    public async Task A_promotion_without_keeping_the_previous_retires_the_old_current()
    {
        var store = await ActiveSecretAsync("orders/app");
        await store.AddPendingVersionAsync(Version("orders/app", 2, "app_a", "second"), true, Ct);

        await store.PromoteAsync(new Promotion("orders/app", 2, null, null, "in place", KeepPrevious: false), Ct);

        Assert.Equal([(1, Stage.Retired), (2, Stage.Current)], (await store.ListVersionsAsync("orders/app", Ct)).Select(v => (v.Number, v.Stage)));
        Assert.Null(await store.FindVersionAsync("orders/app", Stage.Previous, Ct));
    }

    [Fact]
    public async Task A_second_pending_version_is_refused_as_a_rotation_in_progress()
    {
        var store = await ActiveSecretAsync("orders/app");
        await store.AddPendingVersionAsync(Version("orders/app", 2, "app_b", "second"), true, Ct);

        var refused = await Assert.ThrowsAsync<PgRotateException>(() => store.AddPendingVersionAsync(Version("orders/app", 3, "app_b", "third"), true, Ct));

        Assert.Equal(ErrorCode.RotationInProgress, refused.Code);
        Assert.Equal("second", (await store.FindVersionAsync("orders/app", Stage.Pending, Ct))?.Password.Reveal());
    }

    [Fact]
    public async Task Promoting_a_version_that_is_no_longer_pending_changes_nothing()
    {
        var store = await ActiveSecretAsync("orders/app");
        await store.AddPendingVersionAsync(Version("orders/app", 2, "app_b", "second"), true, Ct);
        await store.PromoteAsync(new Promotion("orders/app", 2, Time.GetUtcNow().AddHours(1), null, "login app_b"), Ct);
        var history = (await store.ListHistoryAsync("orders/app", null, null, Ct)).Count;

        await store.PromoteAsync(new Promotion("orders/app", 2, Time.GetUtcNow().AddHours(1), null, "login app_b"), Ct);

        Assert.Equal([(1, Stage.Previous), (2, Stage.Current)], (await store.ListVersionsAsync("orders/app", Ct)).Select(v => (v.Number, v.Stage)));
        Assert.Equal(history, (await store.ListHistoryAsync("orders/app", null, null, Ct)).Count);
    }

    [Fact]
    public async Task A_failed_version_is_never_current_and_a_scheduled_secret_is_retried_later()
    {
        var store = await StoreWithTargetAsync();
        var start = Time.GetUtcNow();
        await store.AddSecretAsync(NewSecret("orders/app") with { Schedule = Schedule.Every(TimeSpan.FromDays(1)), NextRotationAt = start }, FirstVersion("orders/app"), Ct);
        await store.PromoteAsync(new Promotion("orders/app", 1, null, start, "first", Event: "activated"), Ct);
        await store.AddPendingVersionAsync(Version("orders/app", 2, "app_b", "second"), true, Ct);
        var retryAt = start.AddHours(1);

        await store.MarkFailedAsync("orders/app", 2, "test failed", retryAt, Ct);

        var state = await store.LoadRotationStateAsync("orders/app", Ct);
        Assert.Equal((1, null, 2), (state.Current?.Number, state.Pending?.Number, state.HighestVersion));
        Assert.Equal(retryAt, state.Secret.NextRotationAt);
        Assert.Equal(Stage.Failed, (await store.ListVersionsAsync("orders/app", Ct))[1].Stage);
        var last = (await store.ListHistoryAsync("orders/app", null, null, Ct))[^1];
        Assert.Equal(("failed", 2, "test failed"), (last.Event, last.Version, last.Detail));
    }

    // History.

    [Fact]
    public async Task History_is_oldest_first_and_filtered_by_time_and_count()
    {
        var store = await StoreWithTargetAsync();
        await store.AddSecretAsync(NewSecret("orders/app"), FirstVersion("orders/app"), Ct);
        Time.Advance(TimeSpan.FromMinutes(1));
        var since = Time.GetUtcNow();
        await store.AppendHistoryAsync("orders/app", null, "note", "one", Ct);
        Time.Advance(TimeSpan.FromMinutes(1));
        await store.AppendHistoryAsync("orders/app", 1, "note", "two", Ct);

        Assert.Equal(["created", "note", "note"], (await store.ListHistoryAsync("orders/app", null, null, Ct)).Select(h => h.Event));
        Assert.Equal(["one", "two"], (await store.ListHistoryAsync("orders/app", since, null, Ct)).Select(h => h.Detail));
        var last = Assert.Single(await store.ListHistoryAsync("orders/app", null, 1, Ct));
        Assert.Equal(("two", 1, since.AddMinutes(1)), (last.Detail, last.Version, last.At));
    }

    // Errors: a store that is not what pgrotate wrote.

    [Fact]
    public async Task A_store_opened_with_another_master_key_is_refused_before_anything_is_read()
    {
        var store = await StoreWithTargetAsync();
        using var other = MasterKey.Generate();

        var refused = await Assert.ThrowsAsync<PgRotateException>(() => ReopenAsync(store, other));

        Assert.Equal(ErrorCode.MasterKeyMismatch, refused.Code);
    }

    [Fact]
    public async Task A_target_row_modified_without_the_key_is_refused_as_a_damaged_store()
    {
        var store = await StoreWithTargetAsync();
        await store.AddSecretAsync(NewSecret("orders/app"), FirstVersion("orders/app"), Ct);
        await ChangeTargetUsernameBehindTheStoreAsync(store, "orders-db", "intruder");

        foreach (var operation in new Func<Task>[]
                 {
                     () => store.GetTargetAsync("orders-db", Ct),
                     () => store.ListTargetsAsync(Ct),
                     () => store.LoadRotationStateAsync("orders/app", Ct),
                 })
        {
            var refused = await Assert.ThrowsAsync<PgRotateException>(operation);
            Assert.Equal(ErrorCode.StoreCorrupt, refused.Code);
            Assert.Contains("modified outside pgrotate", refused.Message);
        }
    }

    [Fact]
    public async Task A_damaged_password_is_reported_when_needed_and_does_not_block_listing()
    {
        var store = await ActiveSecretAsync("orders/app");
        await DamageVersionPasswordAsync(store, "orders/app", 1);

        var versions = await store.ListVersionsAsync("orders/app", Ct);
        Assert.Equal(1, Assert.Single(versions).Number);
        var onReveal = Assert.Throws<PgRotateException>(() => versions[0].Password.Reveal());
        var onLoad = await Assert.ThrowsAsync<PgRotateException>(() => store.LoadRotationStateAsync("orders/app", Ct));

        Assert.Equal((ErrorCode.StoreCorrupt, ErrorCode.StoreCorrupt), (onReveal.Code, onLoad.Code));
        Assert.Contains("is damaged", onLoad.Message);
    }

    // Crash behaviour: what one process wrote, the next one finds.

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_pending_version_survives_the_process_that_wrote_it(bool durable)
    {
        var store = await ActiveSecretAsync("orders/app");
        await store.AddPendingVersionAsync(Version("orders/app", 2, "app_b", "written-before-the-crash"), durable, Ct);

        var reopened = await ReopenAsync(store, Key);

        var state = await reopened.LoadRotationStateAsync("orders/app", Ct);
        Assert.Equal((2, "written-before-the-crash"), (state.Pending?.Number, state.Pending?.Password.Reveal()));
        Assert.Contains("orders/app", await reopened.ListInterruptedRotationsAsync(Ct));
    }

    // Locks.

    [Fact]
    public async Task A_held_lock_refuses_a_second_holder_until_it_is_released()
    {
        var store = await NewStoreAsync();
        var other = await ReopenAsync(store, Key);

        var held = await store.Locks.AcquireAsync(LockKey.Secret("orders/app"), null, Ct);
        var refused = await Assert.ThrowsAsync<PgRotateException>(() => other.Locks.AcquireAsync(LockKey.Secret("orders/app"), null, Ct));
        Assert.Equal(ErrorCode.RotationInProgress, refused.Code);
        Assert.Contains("secret orders/app", refused.Message);
        await using (await other.Locks.AcquireAsync(LockKey.Secret("orders/web"), null, Ct))
        {
            // Another key is independent.
        }

        await held.DisposeAsync();
        await using (await other.Locks.AcquireAsync(LockKey.Secret("orders/app"), null, Ct))
        {
        }
    }

    [Fact]
    public async Task A_waiting_acquirer_gets_the_lock_when_the_holder_releases_it()
    {
        var store = await NewStoreAsync();
        var other = await ReopenAsync(store, Key);
        var held = await store.Locks.AcquireAsync(LockKey.TargetAdmin("orders-db"), null, Ct);

        var waiting = Task.Run(() => other.Locks.AcquireAsync(LockKey.TargetAdmin("orders-db"), TimeSpan.FromMinutes(5), Ct), Ct);
        Assert.False(waiting.IsCompleted, "the lock was taken (or refused) while another holder had it");
        await held.DisposeAsync();

        // The store's clock is a fake: move it on until the waiter's next attempt, which now succeeds.
        while (await Task.WhenAny(waiting, Task.Delay(TimeSpan.FromMilliseconds(10), Ct)) != waiting)
        {
            Time.Advance(TimeSpan.FromSeconds(1));
        }

        await using var acquired = await waiting;
    }

    // Helpers.

    private async Task<ISecretStore> NewStoreAsync() => Track(await CreateStoreAsync(Key));

    private async Task<ISecretStore> ReopenAsync(ISecretStore store, MasterKey key) => Track(await OpenAgainAsync(store, key));

    /// <summary>Closes <paramref name="store"/> when the test ends (once, however often it is passed here).</summary>
    protected ISecretStore Track(ISecretStore store)
    {
        if (!_opened.Contains(store))
        {
            _opened.Add(store);
        }

        return store;
    }

    private async Task<ISecretStore> StoreWithTargetAsync()
    {
        var store = await NewStoreAsync();
        await store.AddTargetAsync(NewTarget("orders-db"), Ct);
        return store;
    }

    private async Task<ISecretStore> ActiveSecretAsync(string name)
    {
        var store = await StoreWithTargetAsync();
        await store.AddSecretAsync(NewSecret(name), FirstVersion(name), Ct);
        await store.PromoteAsync(new Promotion(name, 1, null, null, "first", Event: "activated"), Ct);
        return store;
    }

    private static Target NewTarget(string name, string username = "rotator") =>
        new(name, "Host=127.0.0.1;Port=5432;Database=orders", username, new SecretText("admin-password-" + name));

    private Secret NewSecret(string name) => new(name, "orders-db", Strategy.Alternating, RoleName.Parse("app"), RoleName.Parse("app_a"), RoleName.Parse("app_b"),
        null, null, null, Adoption.None, Time.GetUtcNow(), null);

    private SecretVersion FirstVersion(string secret) => Version(secret, 1, "app_a", "first-password");

    private SecretVersion Version(string secret, int number, string login, string password) =>
        new(secret, number, login, new SecretText(password), Stage.Pending, Time.GetUtcNow(), null, null);
}

using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Secrets;
using PgRotate.Store;

namespace PgRotate.Tests.Store.Contract;

/// <summary>
/// A target's admin password, versioned in the same table as secrets' credentials (owner kind <see cref="VersionOwner.Target"/>):
/// stored pending, promoted by the same <see cref="Promotion"/>, kept apart from a secret of the same name.
/// </summary>
public abstract partial class StoreContractTests
{
    [Fact]
    public async Task A_pending_admin_version_is_promoted_once_and_becomes_the_password_the_target_connects_with()
    {
        var store = await NewStoreAsync();
        await store.AddTargetAsync(NewTarget("orders-db"), Ct);
        var before = await store.LoadAdminRotationStateAsync("orders-db", Ct);
        Assert.Equal((null, 0), (before.Pending, before.HighestVersion));

        await store.AddPendingAdminVersionAsync(AdminVersion("orders-db", 1, "next-admin"), Ct);
        var loaded = await store.LoadAdminRotationStateAsync("orders-db", Ct);
        Assert.Equal(("next-admin", 1, 1), (loaded.Pending?.Password.Reveal(), loaded.Pending?.Number, loaded.HighestVersion));
        Assert.Equal("admin-password-orders-db", loaded.Target.Password.Reveal());

        await store.PromoteAsync(AdminPromotion("orders-db", 1), Ct);
        await store.PromoteAsync(AdminPromotion("orders-db", 1), Ct);

        Assert.Equal("next-admin", (await store.GetTargetAsync("orders-db", Ct)).Password.Reveal());
        Assert.Null((await store.LoadAdminRotationStateAsync("orders-db", Ct)).Pending);
        Assert.Equal([(1, Stage.Current)], (await store.ListAdminVersionsAsync("orders-db", Ct)).Select(v => (v.Number, v.Stage)));
        Assert.Equal(["pending", "rotated"], (await store.ListAdminHistoryAsync("orders-db", Ct)).Select(e => e.Event));
    }

    [Fact]
    public async Task A_second_admin_rotation_retires_the_first_version_without_a_grace()
    {
        var store = await NewStoreAsync();
        await store.AddTargetAsync(NewTarget("orders-db"), Ct);
        await store.AddPendingAdminVersionAsync(AdminVersion("orders-db", 1, "first-admin"), Ct);
        await store.PromoteAsync(AdminPromotion("orders-db", 1), Ct);

        await store.AddPendingAdminVersionAsync(AdminVersion("orders-db", 2, "second-admin"), Ct);
        await store.PromoteAsync(AdminPromotion("orders-db", 2), Ct);

        var versions = await store.ListAdminVersionsAsync("orders-db", Ct);
        Assert.Equal([(1, Stage.Retired, null), (2, Stage.Current, null)], versions.Select(v => (v.Number, v.Stage, v.ValidUntil)));
        Assert.Equal("second-admin", (await store.GetTargetAsync("orders-db", Ct)).Password.Reveal());
        Assert.Equal(2, (await store.LoadAdminRotationStateAsync("orders-db", Ct)).HighestVersion);
    }

    [Fact]
    public async Task A_second_pending_admin_version_is_refused_as_a_rotation_in_progress()
    {
        var store = await NewStoreAsync();
        await store.AddTargetAsync(NewTarget("orders-db"), Ct);
        await store.AddPendingAdminVersionAsync(AdminVersion("orders-db", 1, "first"), Ct);

        var refused = await Assert.ThrowsAsync<PgRotateException>(() => store.AddPendingAdminVersionAsync(AdminVersion("orders-db", 2, "second"), Ct));

        Assert.Equal(ErrorCode.RotationInProgress, refused.Code);
        Assert.Equal("first", (await store.LoadAdminRotationStateAsync("orders-db", Ct)).Pending?.Password.Reveal());
    }

    [Fact]
    public async Task A_failed_admin_version_is_never_loaded_as_pending_and_its_number_is_not_reused()
    {
        var store = await NewStoreAsync();
        await store.AddTargetAsync(NewTarget("orders-db"), Ct);
        await store.AddPendingAdminVersionAsync(AdminVersion("orders-db", 1, "lost"), Ct);

        await store.MarkAdminVersionFailedAsync("orders-db", 1, "replaced", Ct);

        var state = await store.LoadAdminRotationStateAsync("orders-db", Ct);
        Assert.Equal((null, 1), (state.Pending, state.HighestVersion));
        Assert.Equal([(1, Stage.Failed)], (await store.ListAdminVersionsAsync("orders-db", Ct)).Select(v => (v.Number, v.Stage)));
        Assert.Equal(["pending", "failed"], (await store.ListAdminHistoryAsync("orders-db", Ct)).Select(e => e.Event));
        Assert.Equal("admin-password-orders-db", (await store.GetTargetAsync("orders-db", Ct)).Password.Reveal());
    }

    [Fact]
    public async Task A_new_admin_password_fails_a_pending_admin_version_and_an_update_without_one_keeps_it()
    {
        var store = await NewStoreAsync();
        await store.AddTargetAsync(NewTarget("orders-db"), Ct);
        await store.AddPendingAdminVersionAsync(AdminVersion("orders-db", 1, "pending-admin"), Ct);

        await store.UpdateTargetAsync(NewTarget("orders-db", username: "renamed"), false, Ct);
        Assert.NotNull((await store.LoadAdminRotationStateAsync("orders-db", Ct)).Pending);

        await store.UpdateTargetAsync(NewTarget("orders-db"), true, Ct);
        Assert.Null((await store.LoadAdminRotationStateAsync("orders-db", Ct)).Pending);
        Assert.Equal([(1, Stage.Failed)], (await store.ListAdminVersionsAsync("orders-db", Ct)).Select(v => (v.Number, v.Stage)));
    }

    [Fact]
    public async Task A_pending_admin_version_survives_the_process_that_stored_it()
    {
        var store = await NewStoreAsync();
        await store.AddTargetAsync(NewTarget("orders-db"), Ct);
        await store.AddPendingAdminVersionAsync(AdminVersion("orders-db", 1, "next-admin"), Ct);

        var reopened = await ReopenAsync(store, Key);

        Assert.Equal("next-admin", (await reopened.LoadAdminRotationStateAsync("orders-db", Ct)).Pending?.Password.Reveal());
    }

    [Fact]
    public async Task Admin_versions_and_a_secret_of_the_same_name_do_not_mix()
    {
        var store = await StoreWithTargetAsync();
        await store.AddTargetAsync(NewTarget("shared"), Ct);
        await store.AddSecretAsync(NewSecret("shared"), FirstVersion("shared"), Ct);
        await store.PromoteAsync(new Promotion("shared", 1, null, null, "first", Event: "activated"), Ct);
        await store.AddPendingAdminVersionAsync(AdminVersion("shared", 1, "admin-next"), Ct);
        await store.AddPendingVersionAsync(Version("shared", 2, "app_b", "secret-next"), true, Ct);

        Assert.Equal([(1, Stage.Current), (2, Stage.Pending)], (await store.ListVersionsAsync("shared", Ct)).Select(v => (v.Number, v.Stage)));
        Assert.Equal(["created", "activated", "pending"], (await store.ListHistoryAsync("shared", null, null, Ct)).Select(e => e.Event));
        Assert.Equal("secret-next", (await store.LoadRotationStateAsync("shared", Ct)).Pending?.Password.Reveal());
        Assert.Equal("admin-next", (await store.LoadAdminRotationStateAsync("shared", Ct)).Pending?.Password.Reveal());
        Assert.Equal(["shared"], await store.ListInterruptedRotationsAsync(Ct));

        await store.RemoveSecretAsync("shared", Ct);
        Assert.Equal("admin-next", (await store.LoadAdminRotationStateAsync("shared", Ct)).Pending?.Password.Reveal());
        Assert.Equal(["pending"], (await store.ListAdminHistoryAsync("shared", Ct)).Select(e => e.Event));
    }

    [Fact]
    public async Task Removing_a_target_forgets_its_admin_versions_and_history()
    {
        var store = await NewStoreAsync();
        await store.AddTargetAsync(NewTarget("orders-db"), Ct);
        await store.AddPendingAdminVersionAsync(AdminVersion("orders-db", 1, "next-admin"), Ct);

        await store.RemoveTargetAsync("orders-db", false, Ct);
        await store.AddTargetAsync(NewTarget("orders-db"), Ct);

        var state = await store.LoadAdminRotationStateAsync("orders-db", Ct);
        Assert.Equal((null, 0), (state.Pending, state.HighestVersion));
        Assert.Empty(await store.ListAdminHistoryAsync("orders-db", Ct));
    }

    private SecretVersion AdminVersion(string target, int number, string password) =>
        new(target, number, "rotator", new SecretText(password), Stage.Pending, Time.GetUtcNow(), null, null);

    private static Promotion AdminPromotion(string target, int number) =>
        new(target, number, null, null, "login rotator", KeepPrevious: false) { Owner = VersionOwner.Target };
}

using Microsoft.Extensions.Time.Testing;
using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Leases;
using PgRotate.Postgres;
using PgRotate.Secrets;
using PgRotate.Store;
using PgRotate.Targets;

namespace PgRotate.Tests.Leases;

/// <summary>
/// What every store must do with dynamic secrets and leases, run on each store through a subclass: settings and leases
/// read back as written, the reaper's queries, the state changes, and edited rows refused.
/// </summary>
public abstract class LeaseStoreContractTests : IAsyncDisposable
{
    private readonly List<ISecretStore> _opened = [];

    protected MasterKey Key { get; } = MasterKey.Generate();

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract Task<ISecretStore> CreateStoreAsync(MasterKey key);

    protected abstract Task<ISecretStore> OpenAgainAsync(ISecretStore store, MasterKey key);

    /// <summary>Runs SQL on the store's data without the master key (table names unqualified).</summary>
    protected abstract Task EditBehindTheStoreAsync(ISecretStore store, string sql);

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
    public async Task A_dynamic_secret_and_its_lease_settings_read_back_after_a_reopen()
    {
        var store = await StoreWithDynamicSecretAsync();

        var reopened = await Track(OpenAgainAsync(store, Key));
        var secret = await reopened.GetSecretAsync("orders/instances", Ct);
        Assert.Equal(Strategy.Dynamic, secret.Strategy);
        Assert.Equal(Settings, await reopened.Leases.GetLeaseSettingsAsync("orders/instances", Ct));
        await Assert.ThrowsAsync<PgRotateException>(() => reopened.Leases.GetLeaseSettingsAsync("orders/none", Ct));
    }

    [Fact]
    public async Task A_lease_reads_back_with_its_password_and_filters_select_by_secret_issuer_and_state()
    {
        var store = await StoreWithDynamicSecretAsync();
        var first = NewLease("a", TimeSpan.FromHours(1), "token:svc");
        // Issued a second later: lists are in issue order, and two leases issued at one instant are ordered by their random ids.
        Time.Advance(TimeSpan.FromSeconds(1));
        var second = NewLease("b", TimeSpan.FromHours(2), "cli:alice");
        await store.Leases.AddLeaseAsync(first, new SecretText("pw-a"), Ct);
        Time.Advance(TimeSpan.FromSeconds(1));
        second = second with { IssuedAt = Time.GetUtcNow() };
        await store.Leases.AddLeaseAsync(second, new SecretText("pw-b"), Ct);

        var reopened = await Track(OpenAgainAsync(store, Key));
        Assert.Equal(first, await reopened.Leases.GetLeaseAsync(first.Id, Ct));
        Assert.Equal("pw-b", (await reopened.Leases.OpenLeasePasswordAsync(second.Id, Ct)).Reveal());
        Assert.Equal([first.Id], (await reopened.Leases.ListLeasesAsync(new LeaseFilter(IssuedBy: "token:svc"), Ct)).Select(l => l.Id));
        Assert.Equal([first.Id, second.Id], (await reopened.Leases.ListLeasesAsync(new LeaseFilter("orders/instances"), Ct)).Select(l => l.Id));
        await reopened.Leases.MarkLeaseRevokedAsync(first.Id, Time.GetUtcNow(), Ct);
        Assert.Equal([second.Id], (await reopened.Leases.ListLeasesAsync(new LeaseFilter(), Ct)).Select(l => l.Id));
        Assert.Equal(2, (await reopened.Leases.ListLeasesAsync(new LeaseFilter(IncludeRevoked: true), Ct)).Count);
        Assert.Equal([second.Role], await reopened.Leases.ListLeaseRolesAsync("orders/instances", Ct));
        var duplicate = await Assert.ThrowsAsync<PgRotateException>(() => reopened.Leases.AddLeaseAsync(first with { Id = LeaseIds.New() }, new SecretText("x"), Ct));
        Assert.Equal(ErrorCode.AlreadyExists, duplicate.Code);
    }

    [Fact]
    public async Task Due_leases_are_the_expired_active_ones_and_the_revocations_whose_next_attempt_has_come()
    {
        var store = await StoreWithDynamicSecretAsync();
        var (expired, running, retrying, waiting) =
            (NewLease("e", TimeSpan.FromMinutes(10)), NewLease("r", TimeSpan.FromHours(5)), NewLease("t", TimeSpan.FromHours(5)), NewLease("w", TimeSpan.FromHours(5)));
        foreach (var lease in new[] { expired, running, retrying, waiting })
        {
            await store.Leases.AddLeaseAsync(lease, new SecretText("pw"), Ct);
        }

        var now = Time.GetUtcNow();
        await store.Leases.MarkLeaseRevokingAsync(retrying.Id, LeaseRevocationReasons.Revoked, now.AddMinutes(20), Ct);
        var failed = await store.Leases.RecordRevocationFailureAsync(waiting.Id, "boom", now.AddHours(3), Ct);
        Assert.Equal((LeaseState.Revoking, 1, "boom", "expired"), (failed.State, failed.RevokeAttempts, failed.LastError, failed.RevokeReason));

        Assert.Equal(now.AddMinutes(10), await store.Leases.NextLeaseDueAsync(Ct));
        Assert.Empty(await store.Leases.ListDueLeasesAsync(now, 10, Ct));
        Assert.Equal([expired.Id, retrying.Id], (await store.Leases.ListDueLeasesAsync(now.AddMinutes(30), 10, Ct)).Select(l => l.Id));
        Assert.Equal([expired.Id], (await store.Leases.ListDueLeasesAsync(now.AddMinutes(30), 1, Ct)).Select(l => l.Id));
    }

    [Fact]
    public async Task Batch_marks_end_many_leases_in_one_call_and_leave_ended_and_unknown_ones_as_they_are()
    {
        var store = await StoreWithDynamicSecretAsync();
        var (first, second, ending, ended) = (NewLease("p", TimeSpan.FromMinutes(5)), NewLease("q", TimeSpan.FromMinutes(5)), NewLease("s", TimeSpan.FromMinutes(5)), NewLease("d", TimeSpan.FromMinutes(5)));
        foreach (var lease in new[] { first, second, ending, ended })
        {
            await store.Leases.AddLeaseAsync(lease, new SecretText("pw"), Ct);
        }

        var now = Time.GetUtcNow();
        await store.Leases.MarkLeaseRevokingAsync(ending.Id, LeaseRevocationReasons.Revoked, now.AddMinutes(1), Ct);
        await store.Leases.MarkLeaseRevokedAsync(ended.Id, now, Ct);

        var marked = await store.Leases.MarkLeasesRevokingAsync([first.Id, second.Id, ending.Id, ended.Id, LeaseIds.New()], LeaseRevocationReasons.Expired, now.AddMinutes(10), Ct);

        Assert.Equal(new[] { first.Id, second.Id, ending.Id }.Order(), marked.Select(l => l.Id).Order());
        Assert.All(marked, l => Assert.Equal(LeaseState.Revoking, l.State));
        var byId = marked.ToDictionary(l => l.Id);
        Assert.Equal(("expired", now.AddMinutes(10)), (byId[first.Id].RevokeReason, byId[first.Id].NextAttemptAt!.Value));
        // Already ending: its own reason and next attempt stay.
        Assert.Equal(("revoked", now.AddMinutes(1)), (byId[ending.Id].RevokeReason, byId[ending.Id].NextAttemptAt!.Value));

        Time.Advance(TimeSpan.FromMinutes(1));
        await store.Leases.MarkLeasesRevokedAsync([first.Id, ending.Id, ended.Id], Time.GetUtcNow(), Ct);

        var reopened = await Track(OpenAgainAsync(store, Key));
        var after = (await reopened.Leases.ListLeasesAsync(new LeaseFilter(IncludeRevoked: true), Ct)).ToDictionary(l => l.Id);
        Assert.Equal((LeaseState.Revoked, "expired", Time.GetUtcNow(), (DateTimeOffset?)null),
            (after[first.Id].State, after[first.Id].RevokeReason, after[first.Id].RevokedAt!.Value, after[first.Id].NextAttemptAt));
        Assert.Equal((LeaseState.Revoked, "revoked"), (after[ending.Id].State, after[ending.Id].RevokeReason));
        Assert.Equal(now, after[ended.Id].RevokedAt);
        Assert.Equal(LeaseState.Revoking, after[second.Id].State);
    }

    [Fact]
    public async Task Renewal_applies_to_active_leases_only_and_a_revoked_lease_stays_revoked()
    {
        var store = await StoreWithDynamicSecretAsync();
        var lease = NewLease("x", TimeSpan.FromHours(1));
        await store.Leases.AddLeaseAsync(lease, new SecretText("pw"), Ct);

        var renewed = await store.Leases.RenewLeaseAsync(lease.Id, lease.ExpiresAt.AddHours(1), Ct);
        Assert.Equal(lease.ExpiresAt.AddHours(1), renewed.ExpiresAt);
        var revoking = await store.Leases.MarkLeaseRevokingAsync(lease.Id, LeaseRevocationReasons.TokenRevoked, Time.GetUtcNow(), Ct);
        Assert.Equal((LeaseState.Revoking, "token_revoked"), (revoking.State, revoking.RevokeReason));
        Assert.Equal(ErrorCode.IncompatibleState, (await Assert.ThrowsAsync<PgRotateException>(() => store.Leases.RenewLeaseAsync(lease.Id, lease.ExpiresAt.AddHours(2), Ct))).Code);
        var revoked = await store.Leases.MarkLeaseRevokedAsync(lease.Id, Time.GetUtcNow(), Ct);
        Assert.Equal((LeaseState.Revoked, "token_revoked", Time.GetUtcNow()), (revoked.State, revoked.RevokeReason, revoked.RevokedAt!.Value));
        Assert.Equal(LeaseState.Revoked, (await store.Leases.MarkLeaseRevokingAsync(lease.Id, LeaseRevocationReasons.Revoked, Time.GetUtcNow(), Ct)).State);
        Assert.Equal(ErrorCode.NotFound, (await Assert.ThrowsAsync<PgRotateException>(() => store.Leases.GetLeaseAsync(LeaseIds.New(), Ct))).Code);
    }

    [Fact]
    public async Task A_lease_row_or_lease_settings_edited_without_the_key_are_refused_as_store_damage()
    {
        var store = await StoreWithDynamicSecretAsync();
        var lease = NewLease("x", TimeSpan.FromHours(1));
        await store.Leases.AddLeaseAsync(lease, new SecretText("pw"), Ct);

        // Pointing a lease at another role would make its revocation drop that role.
        await EditBehindTheStoreAsync(store, "UPDATE leases SET role = 'orders_a'");
        await EditBehindTheStoreAsync(store, "UPDATE lease_settings SET name_template = 'orders_{random}'");

        Assert.Equal(ErrorCode.StoreCorrupt, (await Assert.ThrowsAsync<PgRotateException>(() => store.Leases.GetLeaseAsync(lease.Id, Ct))).Code);
        Assert.Equal(ErrorCode.StoreCorrupt, (await Assert.ThrowsAsync<PgRotateException>(() => store.Leases.ListDueLeasesAsync(lease.ExpiresAt, 10, Ct))).Code);
        Assert.Equal(ErrorCode.StoreCorrupt, (await Assert.ThrowsAsync<PgRotateException>(() => store.Leases.GetLeaseSettingsAsync("orders/instances", Ct))).Code);
    }

    private static LeaseSettings Settings => new("orders/instances", TimeSpan.FromHours(1), TimeSpan.FromHours(24), LeaseRoleNames.DefaultTemplate);

    private Lease NewLease(string tag, TimeSpan ttl, string? issuedBy = null)
    {
        var now = Time.GetUtcNow();
        return new Lease(LeaseIds.New(), "orders/instances", $"orders_l_{tag}{Guid.NewGuid():N}"[..19], now, now + ttl, now.AddHours(24), issuedBy);
    }

    private async Task<ISecretStore> StoreWithDynamicSecretAsync()
    {
        var store = await Track(CreateStoreAsync(Key));
        await store.AddTargetAsync(new Target("orders-db", "Host=db.internal;Port=5432;Database=orders", "rotator", new SecretText("admin-pw")), Ct);
        var group = RoleName.Parse("orders");
        await store.Leases.AddDynamicSecretAsync(
            new Secret("orders/instances", "orders-db", Strategy.Dynamic, group, group, null, null, null, null, Adoption.None, Time.GetUtcNow(), null), Settings, Ct);
        return store;
    }

    private async Task<ISecretStore> Track(Task<ISecretStore> opening)
    {
        var store = await opening;
        _opened.Add(store);
        return store;
    }
}

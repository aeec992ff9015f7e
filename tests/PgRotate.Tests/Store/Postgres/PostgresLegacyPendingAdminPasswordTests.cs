using PgRotate.Crypto;
using PgRotate.Secrets;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Store.Postgres;

/// <summary>
/// A PostgreSQL store at schema 1 kept the password of an interrupted <c>target rotate-admin</c> in
/// <c>targets.pending_password</c>; the open that migrates it moves that password into the versions table as the
/// target's pending admin version, which <c>rotate-admin</c> resumes.
/// </summary>
public sealed class PostgresLegacyPendingAdminPasswordTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_schema_1_store_with_a_pending_admin_password_opens_with_it_as_the_pending_admin_version()
    {
        var ct = TestContext.Current.CancellationToken;
        var db = await PostgresStoreDatabase.CreateAsync(postgres);
        using var key = MasterKey.Generate();
        await using (var created = await db.CreateStoreAsync(key))
        {
            await created.AddTargetAsync(db.Target("orders-db"), ct);
        }

        var pending = PasswordGenerator.Generate();
        var sealedPending = new Envelope(key).SealText(pending, "target:orders-db:pending-password");
        await db.ExecuteAsync(
            $"""
            ALTER TABLE pgrotate.versions DROP COLUMN owner CASCADE;
            ALTER TABLE pgrotate.versions ADD PRIMARY KEY (secret, version);
            ALTER TABLE pgrotate.versions ADD CONSTRAINT versions_secret_fkey FOREIGN KEY (secret) REFERENCES pgrotate.secrets(name) ON DELETE CASCADE;
            CREATE UNIQUE INDEX versions_one_current ON pgrotate.versions(secret) WHERE stage = 'current';
            CREATE UNIQUE INDEX versions_one_pending ON pgrotate.versions(secret) WHERE stage = 'pending';
            CREATE UNIQUE INDEX versions_one_previous ON pgrotate.versions(secret) WHERE stage = 'previous';
            ALTER TABLE pgrotate.history DROP COLUMN owner CASCADE;
            CREATE INDEX history_by_secret ON pgrotate.history(secret, id);
            DROP TABLE pgrotate.tokens;
            DROP TABLE pgrotate.audit;
            DROP FUNCTION pgrotate.audit_append_only();
            DELETE FROM pgrotate.meta WHERE key = 'audit_head';
            DELETE FROM pgrotate.schema_version WHERE version > 1;
            UPDATE pgrotate.targets SET pending_password = '\x{Convert.ToHexString(sealedPending)}'::bytea WHERE name = 'orders-db';
            """);

        await using var store = await db.OpenStoreAsync(key);

        var state = await store.LoadAdminRotationStateAsync("orders-db", ct);
        Assert.Equal((pending.Reveal(), 1), (state.Pending?.Password.Reveal(), state.Pending?.Number));
        Assert.Equal(["pending"], (await store.ListAdminHistoryAsync("orders-db", ct)).Select(e => e.Event));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM pgrotate.targets WHERE pending_password IS NOT NULL"));
        Assert.Equal(db.Target("orders-db").Password, (await store.GetTargetAsync("orders-db", ct)).Password);
    }
}

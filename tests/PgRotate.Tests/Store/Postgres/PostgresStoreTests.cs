using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Secrets;
using PgRotate.Store;
using PgRotate.Store.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Store.Postgres;

/// <summary>
/// The PostgreSQL store: created and opened in its own schema, the same checks as the SQLite store before anything is
/// read or migrated (a store must exist, the key must be its own, rows must authenticate), migrations under an advisory
/// lock, and promotions that two processes cannot both make.
/// </summary>
public sealed class PostgresStoreTests(PostgresFixture postgres)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task What_is_stored_reads_back_the_same_after_opening_anew()
    {
        var db = await PostgresStoreDatabase.CreateAsync(postgres);
        using var key = MasterKey.Generate();
        var now = new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
        var target = db.Target();
        var secret = PostgresStoreDatabase.Secret("orders/app", target.Name, now) with { NextRotationAt = now.AddDays(30) };
        var first = PostgresStoreDatabase.Version(secret.Name, 1, "app_a", Stage.Pending, now);
        await using (var store = await db.CreateStoreAsync(key))
        {
            await store.AddTargetAsync(target, Cancel);
            await store.AddSecretAsync(secret, first, Cancel);
        }

        await using var reopened = await db.OpenStoreAsync(key);
        var state = await reopened.LoadRotationStateAsync(secret.Name, Cancel);
        Assert.Equal(secret, state.Secret);
        Assert.Equal(target.ConnectionString, state.Target.ConnectionString);
        Assert.Equal(target.Password, state.Target.Password);
        Assert.Equal(first.Password, state.Pending!.Password);
        Assert.Null(state.Current);
        Assert.Equal(1, state.HighestVersion);
        Assert.Equal(["created"], (await reopened.ListHistoryAsync(secret.Name, null, null, Cancel)).Select(h => h.Event));
        Assert.Equal(1, await db.ScalarAsync<long>("SELECT count(*) FROM pgrotate.secrets"));
    }

    [Fact]
    public async Task Init_refuses_a_schema_that_already_holds_a_store()
    {
        var db = await PostgresStoreDatabase.CreateAsync(postgres);
        using var key = MasterKey.Generate();
        await (await db.CreateStoreAsync(key)).DisposeAsync();

        var refused = await Assert.ThrowsAsync<PgRotateException>(() => db.CreateStoreAsync(key));
        Assert.Equal(ErrorCode.AlreadyExists, refused.Code);
        Assert.Contains("schema pgrotate already holds tables", refused.Message);
    }

    [Fact]
    public async Task Two_inits_at_once_make_one_store_and_the_other_is_told_it_exists()
    {
        var db = await PostgresStoreDatabase.CreateAsync(postgres);
        using var key = MasterKey.Generate();
        var attempts = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            try
            {
                await (await db.CreateStoreAsync(key)).DisposeAsync();
                return "created";
            }
            catch (PgRotateException e) when (e.Code == ErrorCode.AlreadyExists)
            {
                return "exists";
            }
        }));

        Assert.Equal(1, attempts.Count(a => a == "created"));
        // Every migration applied, each once: the number of scripts, not a number that each new migration would break.
        var scripts = typeof(PgRotate.Store.Postgres.PostgresSecretStore).Assembly.GetManifestResourceNames().Count(n => n.EndsWith(".sql", StringComparison.Ordinal));
        Assert.Equal(scripts, await db.ScalarAsync<int>("SELECT max(version) FROM pgrotate.schema_version"));
        // No gap and no repeat.
        Assert.True(await db.ScalarAsync<bool>("SELECT count(*) = max(version) AND count(DISTINCT version) = count(*) FROM pgrotate.schema_version"));
    }

    [Fact]
    public async Task Opening_where_there_is_no_store_says_so()
    {
        var db = await PostgresStoreDatabase.CreateAsync(postgres);
        using var key = MasterKey.Generate();

        var refused = await Assert.ThrowsAsync<PgRotateException>(() => db.OpenStoreAsync(key));
        Assert.Equal(ErrorCode.StoreMissing, refused.Code);
        Assert.Contains("pgrotate init", refused.Message);
    }

    [Fact]
    public async Task Another_master_key_is_refused_before_any_migration_runs()
    {
        var db = await PostgresStoreDatabase.CreateAsync(postgres);
        using var key = MasterKey.Generate();
        using var other = MasterKey.Generate();
        await (await db.CreateStoreAsync(key)).DisposeAsync();
        // As if the store were one schema version behind: an open with the right key would record version 1 again.
        await db.ExecuteAsync("DELETE FROM pgrotate.schema_version");

        var refused = await Assert.ThrowsAsync<PgRotateException>(() => db.OpenStoreAsync(other));
        Assert.Equal(ErrorCode.MasterKeyMismatch, refused.Code);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM pgrotate.schema_version"));
    }

    [Fact]
    public async Task A_store_from_a_newer_pgrotate_is_refused()
    {
        var db = await PostgresStoreDatabase.CreateAsync(postgres);
        using var key = MasterKey.Generate();
        await (await db.CreateStoreAsync(key)).DisposeAsync();
        await db.ExecuteAsync("INSERT INTO pgrotate.schema_version(version) VALUES (99)");

        var refused = await Assert.ThrowsAsync<PgRotateException>(() => db.OpenStoreAsync(key));
        Assert.Equal(ErrorCode.StoreCorrupt, refused.Code);
        Assert.Contains("schema version 99, newer than this pgrotate knows", refused.Message);
    }

    [Fact]
    public async Task A_target_row_edited_without_the_key_is_refused_naming_it()
    {
        var db = await PostgresStoreDatabase.CreateAsync(postgres);
        using var key = MasterKey.Generate();
        await using var store = await db.CreateStoreAsync(key);
        await store.AddTargetAsync(db.Target("orders-db"), Cancel);
        await db.ExecuteAsync("UPDATE pgrotate.targets SET connection_string = 'Host=attacker.example;Database=postgres'");

        var refused = await Assert.ThrowsAsync<PgRotateException>(() => store.GetTargetAsync("orders-db", Cancel));
        Assert.Equal(ErrorCode.StoreCorrupt, refused.Code);
        Assert.Contains($"target orders-db in store {store.Location} was modified outside pgrotate", refused.Message);
    }

    [Fact]
    public async Task A_damaged_password_is_reported_as_damage_naming_the_version_before_a_rotation_starts()
    {
        var db = await PostgresStoreDatabase.CreateAsync(postgres);
        using var key = MasterKey.Generate();
        await using var store = await db.CreateStoreAsync(key);
        var now = DateTimeOffset.UtcNow;
        await store.AddTargetAsync(db.Target(), Cancel);
        await store.AddSecretAsync(PostgresStoreDatabase.Secret("orders/app", "db", now), PostgresStoreDatabase.Version("orders/app", 1, "app_a", Stage.Pending, now), Cancel);
        await db.ExecuteAsync("UPDATE pgrotate.versions SET password = set_byte(password, length(password) - 1, get_byte(password, length(password) - 1) # 1)");

        var refused = await Assert.ThrowsAsync<PgRotateException>(() => store.LoadRotationStateAsync("orders/app", Cancel));
        Assert.Equal(ErrorCode.StoreCorrupt, refused.Code);
        Assert.Contains("version 1 (login app_a) of secret orders/app", refused.Message);
    }

    [Fact]
    public async Task A_pending_version_beside_another_is_refused_as_a_rotation_in_progress()
    {
        var db = await PostgresStoreDatabase.CreateAsync(postgres);
        using var key = MasterKey.Generate();
        await using var store = await db.CreateStoreAsync(key);
        var now = DateTimeOffset.UtcNow;
        await store.AddTargetAsync(db.Target(), Cancel);
        await store.AddSecretAsync(PostgresStoreDatabase.Secret("orders/app", "db", now), PostgresStoreDatabase.Version("orders/app", 1, "app_a", Stage.Pending, now), Cancel);

        var refused = await Assert.ThrowsAsync<PgRotateException>(() =>
            store.AddPendingVersionAsync(PostgresStoreDatabase.Version("orders/app", 2, "app_b", Stage.Pending, now), true, Cancel));
        Assert.Equal(ErrorCode.RotationInProgress, refused.Code);
    }

    [Fact]
    public async Task Two_processes_finishing_the_same_rotation_at_once_promote_it_once()
    {
        var db = await PostgresStoreDatabase.CreateAsync(postgres);
        using var key = MasterKey.Generate();
        await using var first = await db.CreateStoreAsync(key);
        await using var second = await db.OpenStoreAsync(key);
        var now = DateTimeOffset.UtcNow;
        await first.AddTargetAsync(db.Target(), Cancel);
        await first.AddSecretAsync(PostgresStoreDatabase.Secret("orders/app", "db", now), PostgresStoreDatabase.Version("orders/app", 1, "app_a", Stage.Pending, now), Cancel);

        const int rounds = 30;
        for (var version = 1; version <= rounds; version++)
        {
            if (version > 1)
            {
                await first.AddPendingVersionAsync(PostgresStoreDatabase.Version("orders/app", version, version % 2 == 1 ? "app_a" : "app_b", Stage.Pending, now), true, Cancel);
            }

            var promotion = new Promotion("orders/app", version, now.AddHours(1), null, "rotated");
            await Task.WhenAll(first.PromoteAsync(promotion, Cancel), second.PromoteAsync(promotion, Cancel));
        }

        var history = await first.ListHistoryAsync("orders/app", null, null, Cancel);
        Assert.Equal(Enumerable.Range(1, rounds), history.Where(h => h.Event == "rotated").Select(h => h.Version!.Value));
        var versions = await first.ListVersionsAsync("orders/app", Cancel);
        Assert.Equal(Stage.Current, versions.Single(v => v.Number == rounds).Stage);
        Assert.Equal(Stage.Previous, versions.Single(v => v.Number == rounds - 1).Stage);
        Assert.All(versions.Where(v => v.Number < rounds - 1), v => Assert.Equal(Stage.Retired, v.Stage));
    }

    [Fact]
    public async Task The_schema_comes_from_the_connection_strings_search_path()
    {
        var db = await PostgresStoreDatabase.CreateAsync(postgres);
        using var key = MasterKey.Generate();
        await using (var store = await db.CreateStoreAsync(key, schema: "secrets_team"))
        {
            await store.AddTargetAsync(db.Target(), Cancel);
        }

        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM secrets_team.targets"));
        Assert.False(await db.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'pgrotate')"));
        await using var reopened = await db.OpenStoreAsync(key, schema: "secrets_team");
        Assert.Single(await reopened.ListTargetsAsync(Cancel));
    }

    [Fact]
    public async Task The_store_password_comes_from_PGROTATE_STORE_PASSWORD_when_the_connection_string_has_none()
    {
        var db = await PostgresStoreDatabase.CreateAsync(postgres);
        var role = Unique.Name("store");
        var secret = PasswordGenerator.Generate();
        var password = secret.Reveal();
        await postgres.Cluster.CreateLoginRoleAsync(role, secret, Cancel);
        await postgres.ExecuteAsync($"GRANT CREATE ON DATABASE \"{db.Database}\" TO \"{role}\"");
        using var key = MasterKey.Generate();
        var text = db.ConnectionString(withPassword: false, user: role);

        var store = await PostgresSecretStore.CreateAsync(
            PostgresStoreConnection.Parse(text, name => name == PostgresStoreConnection.PasswordVariable ? password : null), key, TimeProvider.System, null, Cancel);
        await store.DisposeAsync();

        var refused = await Assert.ThrowsAsync<PgRotateException>(() =>
            PostgresSecretStore.OpenAsync(PostgresStoreConnection.Parse(text, name => name == PostgresStoreConnection.PasswordVariable ? "wrong" : null), key, TimeProvider.System, null, Cancel));
        Assert.Equal(ErrorCode.AuthenticationFailed, refused.Code);
        Assert.DoesNotContain("wrong", refused.Message);
        Assert.DoesNotContain(password, refused.Message);
    }

    [Fact]
    public async Task Init_by_a_role_that_may_not_create_a_schema_says_what_the_stores_role_needs_and_leaves_nothing()
    {
        var db = await PostgresStoreDatabase.CreateAsync(postgres);
        var role = Unique.Name("store");
        var secret = PasswordGenerator.Generate();
        var password = secret.Reveal();
        await postgres.Cluster.CreateLoginRoleAsync(role, secret, Cancel);
        using var key = MasterKey.Generate();

        var refused = await Assert.ThrowsAsync<PgRotateException>(() => PostgresSecretStore.CreateAsync(
            PostgresStoreConnection.Parse(db.ConnectionString(withPassword: false, user: role), _ => password), key, TimeProvider.System, null, Cancel));

        Assert.Equal(ErrorCode.PermissionDenied, refused.Code);
        Assert.Contains("the store's role needs CONNECT on its database, and for 'pgrotate init' CREATE on it", refused.Message);
        Assert.DoesNotContain("target", refused.Message);
        Assert.False(await db.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'pgrotate')"));
    }
}

using Microsoft.Data.Sqlite;
using PgRotate.Crypto;
using PgRotate.Store;
using PgRotate.Store.Sqlite;

namespace PgRotate.Tests.Audit;

/// <summary>The audit log contract on the SQLite store: a fresh file in a folder of its own per test.</summary>
public sealed class SqliteAuditLogTests : AuditLogContractTests
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pgrotate-audit-").FullName;

    protected override string AuditTable => "audit";

    protected override ValueTask CleanUpAsync()
    {
        Directory.Delete(_folder, recursive: true);
        return ValueTask.CompletedTask;
    }

    protected override async Task<ISecretStore> CreateStoreAsync(MasterKey key) =>
        await TestStores.CreateAsync(new StoreLocation(StoreKind.Sqlite, Path.Combine(_folder, "store.db")), key, Time);

    protected override async Task<ISecretStore> OpenAgainAsync(ISecretStore store, MasterKey key) =>
        await TestStores.OpenAsync(new StoreLocation(StoreKind.Sqlite, store.Location), key, Time);

    [Fact]
    public async Task An_entry_whose_time_was_edited_into_text_is_named()
    {
        var store = await TestStores.CreateAsync(new StoreLocation(StoreKind.Sqlite, Path.Combine(_folder, "store.db")), Key, Time);
        await using var closeStore = store;
        await store.Audit.AppendAsync(new PgRotate.Audit.AuditRecord("test.append", "cli:alice"), Ct);
        await store.Audit.AppendAsync(new PgRotate.Audit.AuditRecord("test.append", "cli:alice"), Ct);

        await TamperAsync(store, "UPDATE audit SET at = 'yesterday' WHERE sequence = 2");

        Assert.Equal(2, (await store.Audit.VerifyAsync(Ct)).FirstBadSequence);
    }

    protected override Task TamperAsync(ISecretStore store, string sql) =>
        ExecuteUnguardedAsync(store, "DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete; " + sql);

    /// <summary>Plain SQLite on the file, as someone without the master key would edit it.</summary>
    protected override async Task ExecuteUnguardedAsync(ISecretStore store, string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = store.Location, Pooling = false }.ToString());
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(Ct);
    }
}

using PgRotate.Store;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary><see cref="RandomCrashTests"/> with the SQLite store.</summary>
public sealed class RandomCrashOnSqliteTests(PostgresFixture postgres) : RandomCrashTests(postgres, StoreKind.Sqlite);

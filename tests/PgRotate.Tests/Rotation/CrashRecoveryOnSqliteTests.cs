using PgRotate.Store;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary><see cref="CrashRecoveryTests"/> with the SQLite store.</summary>
public sealed class CrashRecoveryOnSqliteTests(PostgresFixture postgres) : CrashRecoveryTests(postgres, StoreKind.Sqlite);

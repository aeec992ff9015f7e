using PgRotate.Store;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary><see cref="ConcurrentRotationTests"/> with the SQLite store.</summary>
public sealed class ConcurrentRotationOnSqliteTests(PostgresFixture postgres) : ConcurrentRotationTests(postgres, StoreKind.Sqlite);

using PgRotate.Store;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary><see cref="RandomCrashTests"/> with the store in a PostgreSQL database of its own.</summary>
public sealed class RandomCrashOnPostgresTests(PostgresFixture postgres) : RandomCrashTests(postgres, StoreKind.Postgres);

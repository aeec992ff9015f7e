using PgRotate.Store;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary><see cref="ConcurrentRotationTests"/> with the store in a PostgreSQL database of its own.</summary>
public sealed class ConcurrentRotationOnPostgresTests(PostgresFixture postgres) : ConcurrentRotationTests(postgres, StoreKind.Postgres);

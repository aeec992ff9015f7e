using PgRotate.Store;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary><see cref="CrashRecoveryTests"/> with the store in a PostgreSQL database of its own.</summary>
public sealed class CrashRecoveryOnPostgresTests(PostgresFixture postgres) : CrashRecoveryTests(postgres, StoreKind.Postgres);

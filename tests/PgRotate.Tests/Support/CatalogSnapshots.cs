namespace PgRotate.Tests.Support;

/// <summary>
/// Tests that compare a snapshot of the whole cluster's role catalog (<see cref="PostgresFixture.RoleCatalogSnapshotAsync"/>)
/// before and after a command. Any other test creating a role at the same moment would change the snapshot, so this
/// collection runs on its own, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CatalogSnapshots
{
    public const string Name = "role catalog snapshots";
}

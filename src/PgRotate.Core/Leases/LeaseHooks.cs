namespace PgRotate.Leases;

/// <summary>
/// Points where a caller may step in while a lease is issued; the crash tests use <see cref="AfterRoleCreated"/> to
/// stop the process between creating the role and storing the lease, which is what the orphan sweep repairs.
/// </summary>
public sealed class LeaseHooks
{
    /// <summary>Runs after the lease's role was created on the target and before the lease is stored.</summary>
    public Func<string, ValueTask>? AfterRoleCreated { get; init; }
}

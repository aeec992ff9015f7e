using System.Diagnostics;
using PgRotate.Rotation;

namespace PgRotate.Cli;

/// <summary>
/// A testing knob: with <c>PGROTATE_FAULT_KILL_AFTER=create|set|test|finish</c> the process kills itself with SIGKILL
/// right after that rotation step (or, with <c>lease-role</c>, right after a lease's role was created and before the
/// lease is stored), the way a crash or an OOM kill would. The crash tests use it to stop a real
/// process at every step boundary; nothing else should set it.
/// </summary>
public static class FaultInjection
{
    public const string KillAfterVariable = "PGROTATE_FAULT_KILL_AFTER";

    public static RotationHooks Hooks(CliHost host)
    {
        var killAfter = host.Environment(KillAfterVariable);
        if (string.IsNullOrEmpty(killAfter) || !Enum.TryParse<RotationStep>(killAfter, ignoreCase: true, out var step))
        {
            return new RotationHooks();
        }

        return new RotationHooks
        {
            AfterStep = (_, done, _) =>
            {
                if (done == step)
                {
                    using var self = Process.GetCurrentProcess();
                    self.Kill();
                }

                return ValueTask.CompletedTask;
            },
        };
    }

    /// <summary>The value of <see cref="KillAfterVariable"/> that stops <c>lease issue</c> between its role and its row.</summary>
    public const string KillAfterLeaseRole = "lease-role";

    public static Leases.LeaseHooks LeaseHooks(CliHost host) => host.Environment(KillAfterVariable) != KillAfterLeaseRole
        ? new Leases.LeaseHooks()
        : new Leases.LeaseHooks
        {
            AfterRoleCreated = _ =>
            {
                using var self = Process.GetCurrentProcess();
                self.Kill();
                return ValueTask.CompletedTask;
            },
        };
}

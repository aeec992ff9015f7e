using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Secrets;
using PgRotate.Store;
using PgRotate.Targets;

namespace PgRotate.Rotation;

/// <summary>
/// Rotates a target's own admin credential in place (the <see cref="Strategy.Single"/> mechanism applied to the
/// rotator), on the same protocol and versions table as a secret (see <see cref="VersionOwner"/>): the new password is
/// stored as a pending admin version first; the admin changes its own password (any role may); a fresh login proves
/// it; the store then promotes it with a <see cref="Promotion"/>. After a crash between set and finish the stored admin
/// password no longer works, so a rerun logs in with the pending one and only finishes.
/// <para>
/// A role is per server, not per database: every target registered with the same server (host and port) and admin
/// user shares the password, so all of them are rotated together (each stores the pending password, one ALTER ROLE,
/// each is promoted). Rotating one alone would leave the others with a password that no longer works.
/// </para>
/// </summary>
public sealed class AdminRotation(ISecretStore store, TargetConnector connector, TimeProvider time)
{
    private readonly TargetOperations _target = new(connector, time);

    /// <summary>Rotates the admin password of <paramref name="targetName"/> and every target sharing it; returns those targets. The outcome is recorded in the audit log.</summary>
    public async Task<AdminRotationResult> RotateAsync(string targetName, CancellationToken cancellationToken)
    {
        AdminRotationResult result;
        try
        {
            result = await RotateUnrecordedAsync(targetName, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var cause = PostgresErrors.Translate(e, $"admin rotation of target {targetName}");
            try
            {
                await store.Audit.AppendAsync(new Audit.AuditRecord(Audit.AuditActions.AdminRotationFailed, store.Actor, Detail: $"target {targetName}; {cause.Code.WireName()}: {cause.Message}"), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // The rotation's own failure is what the caller must see; a store that cannot take the entry fails it too.
            }

            throw;
        }

        await store.Audit.AppendAsync(new Audit.AuditRecord(Audit.AuditActions.AdminRotated, store.Actor, Detail: $"targets {string.Join(", ", result.Targets)}"), cancellationToken).ConfigureAwait(false);
        return result;
    }

    private async Task<AdminRotationResult> RotateUnrecordedAsync(string targetName, CancellationToken cancellationToken)
    {
        var named = await store.GetTargetAsync(targetName, cancellationToken).ConfigureAwait(false);
        var sharing = (await store.ListTargetsAsync(cancellationToken).ConfigureAwait(false))
            .Where(t => SameRole(t, named))
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .Select(t => t.Name)
            .ToList();

        // One lock per target, always taken in name order, so two runs on different targets of one role cannot deadlock.
        var held = new List<IAsyncDisposable>();
        try
        {
            foreach (var name in sharing)
            {
                held.Add(await store.Locks.AcquireAsync(LockKey.TargetAdmin(name), null, cancellationToken).ConfigureAwait(false));
            }

            await RotateSharedAsync(named.Name, sharing, cancellationToken).ConfigureAwait(false);
            return new AdminRotationResult(named.Username, sharing);
        }
        finally
        {
            foreach (var h in held)
            {
                await h.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task RotateSharedAsync(string targetName, IReadOnlyList<string> sharing, CancellationToken cancellationToken)
    {
        // Re-read under the locks: another run may have finished meanwhile.
        var states = new List<AdminRotationState>();
        foreach (var name in sharing)
        {
            states.Add(await store.LoadAdminRotationStateAsync(name, cancellationToken).ConfigureAwait(false));
        }

        var target = states.Single(s => s.Target.Name == targetName).Target;

        // A pending version left by an interrupted run (of this target or of another one sharing the role) may already be
        // in force on the server: if one logs in, it is the role's password, and only the finish is left.
        var pendings = new List<SecretText>();
        foreach (var pending in states.Select(s => s.Pending?.Password).OfType<SecretText>())
        {
            if (!pendings.Contains(pending))
            {
                pendings.Add(pending);
            }
        }

        foreach (var p in pendings)
        {
            if (await LogsInAsync(target, p, cancellationToken).ConfigureAwait(false))
            {
                await PromoteAllAsync(states, p, cancellationToken).ConfigureAwait(false);
                return;
            }
        }

        var password = pendings.FirstOrDefault() ?? PasswordGenerator.Generate();
        states = await StorePendingAsync(states, password, cancellationToken).ConfigureAwait(false);

        await _target.SetOwnPasswordAsync(target, password, cancellationToken).ConfigureAwait(false);

        if (!await LogsInAsync(target, password, cancellationToken).ConfigureAwait(false))
        {
            throw new PgRotateException(ErrorCode.RotationFailed,
                $"the new admin password of target {targetName} was set but does not log in; the stored pending password will be retried by the next 'pgrotate target rotate-admin {targetName}'");
        }

        await PromoteAllAsync(states, password, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Step "create" for every sharing target: each ends up with <paramref name="password"/> as its pending admin
    /// version. A pending version holding another password (left by an earlier run when the targets did not share the
    /// role yet) is marked failed first: it did not log in, so it is not the role's password.
    /// </summary>
    private async Task<List<AdminRotationState>> StorePendingAsync(IReadOnlyList<AdminRotationState> states, SecretText password, CancellationToken cancellationToken)
    {
        var stored = new List<AdminRotationState>();
        foreach (var state in states)
        {
            if (state.Pending is { } old && password.Equals(old.Password))
            {
                stored.Add(state);
                continue;
            }

            if (state.Pending is { } other)
            {
                await store.MarkAdminVersionFailedAsync(state.Target.Name, other.Number,
                    "replaced by the admin password of a target sharing the role", cancellationToken).ConfigureAwait(false);
            }

            var number = state.HighestVersion + 1;
            var version = new SecretVersion(state.Target.Name, number, state.Target.Username, password, Stage.Pending, time.GetUtcNow(), null, null);
            await store.AddPendingAdminVersionAsync(version, cancellationToken).ConfigureAwait(false);
            stored.Add(state with { Pending = version, HighestVersion = number });
        }

        return stored;
    }

    /// <summary>
    /// Step "finish" for every sharing target: the pending version with the password now in force becomes current (the
    /// old one is retired, not kept as previous: a role changed in place has no grace), through the same
    /// <see cref="Promotion"/> as a secret's rotation.
    /// </summary>
    private async Task PromoteAllAsync(IReadOnlyList<AdminRotationState> states, SecretText password, CancellationToken cancellationToken)
    {
        foreach (var state in await StorePendingAsync(states, password, cancellationToken).ConfigureAwait(false))
        {
            var pending = state.Pending!;
            await store.PromoteAsync(new Promotion(state.Target.Name, pending.Number, PreviousValidUntil: null, NextRotationAt: null,
                Detail: $"login {pending.Username}", KeepPrevious: false) { Owner = VersionOwner.Target }, cancellationToken).ConfigureAwait(false);
            await connector.ResetAsync(state.Target).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The same role on the same server: host (case-insensitive, as DNS names are) and port, and the admin user. Two
    /// spellings of one host (localhost and 127.0.0.1) are not recognised; they are not the same string to the store.
    /// </summary>
    private static bool SameRole(Target a, Target b) =>
        string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port && a.Username == b.Username;

    private Task<bool> LogsInAsync(Target target, SecretText password, CancellationToken cancellationToken) =>
        _target.LogsInAsync(target, target.Username, password, cancellationToken);
}

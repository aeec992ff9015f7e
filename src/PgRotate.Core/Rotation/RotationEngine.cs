using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PgRotate.Audit;
using PgRotate.Crypto;
using PgRotate.Diagnostics;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Roles;
using PgRotate.Scheduling;
using PgRotate.Secrets;
using PgRotate.Store;
using PgRotate.Targets;

namespace PgRotate.Rotation;

/// <summary>
/// Rotates secrets with the crash-safe four-step protocol. State lives in the store and is written before each server
/// change, so a run that dies anywhere is finished by the next one; at no point is there no working current credential
/// and a credential is promoted only after a fresh login with it has worked.
/// </summary>
public sealed class RotationEngine(
    ISecretStore store,
    TargetConnector connector,
    TimeProvider time,
    RotationOptions? options = null,
    RotationHooks? hooks = null,
    ILogger<RotationEngine>? logger = null)
{
    /// <summary>How long a scheduled secret waits after a failed test before the scheduler tries it again.</summary>
    internal static readonly TimeSpan FailureBackoff = TimeSpan.FromHours(1);

    private readonly RotationOptions _options = options ?? new RotationOptions();
    private readonly RotationHooks _hooks = hooks ?? new RotationHooks();
    private readonly ILogger _logger = logger ?? (ILogger)NullLogger.Instance;
    private readonly TargetOperations _target = new(connector, time, logger);

    public Task<RotationResult> RotateAsync(string name, CancellationToken cancellationToken) =>
        RotateAsync(new RotationRequest(name), cancellationToken);

    /// <summary>
    /// Rotates, and records the outcome in the store's audit log: the new version, or why it stopped (whose messages
    /// never hold a secret value). A refusal because another process holds the secret's lock is not recorded: that
    /// process records its own outcome, and a scheduler meeting the lock on every tick would flood the log.
    /// </summary>
    public async Task<RotationResult> RotateAsync(RotationRequest request, CancellationToken cancellationToken)
    {
        RotationResult result;
        try
        {
            result = await RotateUnrecordedAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException && e is not PgRotateException { Code: ErrorCode.RotationInProgress })
        {
            // Translated: a driver's own message is scrubbed the same way as the one the caller reports.
            var cause = PostgresErrors.Translate(e, $"rotation of {request.Secret}");
            await RecordAsync(new AuditRecord(AuditActions.RotationFailed, store.Actor, request.Secret, Detail: $"{cause.Code.WireName()}: {cause.Message}"), cancellationToken).ConfigureAwait(false);
            throw;
        }

        await RecordAsync(new AuditRecord(AuditActions.RotationFinished, store.Actor, request.Secret, result.Version,
            Detail: $"login {result.Username}" + (result.Resumed ? "; resumed" : "") + (result.PreviousRevoked ? "; previous revoked" : "")), cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// An audit entry about a rotation that already happened (or failed): a log that cannot be written is reported in
    /// the log output, not as the rotation's outcome, which would misreport what happened to the credential.
    /// </summary>
    private async Task RecordAsync(AuditRecord record, CancellationToken cancellationToken)
    {
        try
        {
            await store.Audit.AppendAsync(record, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.AuditNotRecorded(_logger, record.Action, record.Secret, e.Message);
        }
    }

    private async Task<RotationResult> RotateUnrecordedAsync(RotationRequest request, CancellationToken cancellationToken)
    {
        var name = request.Secret;
        var started = time.GetTimestamp();
        var held = await store.Locks.AcquireAsync(LockKey.Secret(name), _options.LockWait, cancellationToken).ConfigureAwait(false);
        await using var closeHeld = held.ConfigureAwait(false);
        var state = await store.LoadRotationStateAsync(name, cancellationToken).ConfigureAwait(false);
        var (secret, target) = (state.Secret, state.Target);
        if (request.OnlyIfDue && state.Pending is null && !(secret.NextRotationAt is { } due && due <= time.GetUtcNow()))
        {
            // Listed as due before the lock was ours, and rotated meanwhile by another scheduler on the same store (a
            // replica, a cron job on another machine): rotating again would do the scheduled rotation twice.
            throw new PgRotateException(ErrorCode.RotationInProgress, $"{name} was rotated by another process since it was found due; its next rotation is {secret.NextRotationAt?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "not scheduled"}");
        }

        var strategy = RotationStrategies.For(secret);
        var retry = new Retry(time, _logger, _options.RetryFor);
        var current = state.Current
            ?? throw new PgRotateException(ErrorCode.IncompatibleState, $"secret {name} has no current version; run its 'pgrotate secret add' again to finish setting it up");
        EnsureGraceFits(secret, request.Grace);
        EnsureStoredTimingUsable(secret, request);
        var sessionsEnded = 0;
        if (request.TerminateSessions)
        {
            await EnsureMayTerminateAsync(target, retry, name, cancellationToken).ConfigureAwait(false);
        }

        // Step 1, create: reuse a pending version left by an interrupted run, else store a new one first.
        var pending = state.Pending;
        var resumed = pending is not null;
        if (pending is null)
        {
            // A resumed rotation was already judged when its pending version was stored; a new one must not cut the
            // clients of a login that is still inside its grace, unless asked to.
            if (strategy.KeepsPrevious && !request.Force && !request.RevokePrevious)
            {
                await EnsureOutsideGraceAsync(secret, cancellationToken).ConfigureAwait(false);
            }

            pending = new SecretVersion(name, state.HighestVersion + 1, strategy.NextLogin(secret, current.Username).Value,
                PasswordGenerator.Generate(), Stage.Pending, time.GetUtcNow(), null, null);
            // A pending version on another login is not what clients use: if a power loss took it back, the next
            // rotation would simply set that login again. One that replaces the current credential in place must
            // survive one, since set replaces the only credential.
            await store.AddPendingVersionAsync(pending, durable: strategy.ReplacesCurrentInPlace, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            Log.Resuming(_logger, name, pending.Number, pending.Username);
        }

        await _hooks.AfterAsync(name, RotationStep.Create, cancellationToken).ConfigureAwait(false);
        var login = RoleName.Parse(pending.Username);

        // Step 2, set.
        try
        {
            await retry.RunAsync(name, RotationStep.Set, ct => _target.SetPasswordAsync(target, login, pending.Password, null, ct), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Stopped(name, RotationStep.Set, strategy, target, pending, current, e);
        }

        if (request.TerminateSessions)
        {
            // Nobody has been given the new password yet (it is promoted only after the test), so every session of this
            // login now runs on its old, possibly leaked, password.
            sessionsEnded += await retry.RunAsync(name, RotationStep.Set, ct => _target.TerminateSessionsAsync(target, [login], ct), cancellationToken).ConfigureAwait(false);
        }

        await _hooks.AfterAsync(name, RotationStep.Set, cancellationToken).ConfigureAwait(false);

        // Step 3, test.
        try
        {
            await retry.RunAsync(name, RotationStep.Test,
                ct => new CredentialTester(_target).TestAsync(target, secret, pending, withCheckSql: true, ct),
                cancellationToken).ConfigureAwait(false);
        }
        catch (PgRotateException e) when (!PostgresErrors.IsTransient(e))
        {
            await FailAsync(strategy, secret, target, pending, current, e, retry, cancellationToken).ConfigureAwait(false);
            throw new PgRotateException(ErrorCode.RotationFailed,
                $"rotation of {name} failed its test and was not promoted ({e.Message}); {current.Username} stays current", e);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Still failing transiently when the retries ran out (the server stayed down): nothing was judged, so the
            // version stays pending rather than failed.
            throw Stopped(name, RotationStep.Test, strategy, target, pending, current, e);
        }

        await _hooks.AfterAsync(name, RotationStep.Test, cancellationToken).ConfigureAwait(false);

        // Step 4, finish: promote in the store first (clients move), then start the previous login's grace. A crash in
        // between leaves the previous login valid longer, never a current one invalid.
        var now = time.GetUtcNow();
        var next = secret.Schedule?.NextAfter(now);
        var previousLogin = strategy.KeepsPrevious ? current.Username : null;
        var grace = request.RevokePrevious ? TimeSpan.Zero : request.Grace ?? secret.Grace;
        var graceEnd = previousLogin is null ? (DateTimeOffset?)null
            : grace is { } g ? now + g
            : next ?? now + Bounds.DefaultGraceWithoutSchedule;
        await store.PromoteAsync(new Promotion(name, pending.Number, graceEnd, next,
            $"login {pending.Username}" + (previousLogin is null ? ""
                : request.RevokePrevious ? $"; previous {previousLogin} revoked at once"
                : $"; previous {previousLogin} valid until {graceEnd?.ToString("u", System.Globalization.CultureInfo.InvariantCulture)}"),
            KeepPrevious: previousLogin is not null), cancellationToken).ConfigureAwait(false);
        if (previousLogin is not null && graceEnd is { } end)
        {
            try
            {
                // A revoked login gets a moment safely in the past: with "now" a server whose clock runs behind ours
                // would still accept it for a moment.
                await retry.RunAsync(name, RotationStep.Finish,
                    ct => _target.ExpireAsync(target, RoleName.Parse(previousLogin), request.RevokePrevious ? RoleSql.Invalidated : end, ct), cancellationToken).ConfigureAwait(false);
                await store.MarkGraceAppliedAsync(name, current.Number, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Clients already have the new version; what did not happen is the end of the old login's grace. Say
                // exactly that (a bare driver error would read as a failed rotation, and abort a whole --all-due run).
                var cause = PostgresErrors.Translate(e, $"on target {target.Name}");
                throw new PgRotateException(cause.Code,
                    $"rotated {name} to version {pending.Number} (login {pending.Username}), but the end of the previous login's grace could not be set ({cause.Message}); {previousLogin} stays valid until 'pgrotate rotate --all-due' sets it",
                    e);
            }
        }

        if (request.TerminateSessions && previousLogin is not null)
        {
            try
            {
                sessionsEnded += await retry.RunAsync(name, RotationStep.Finish, ct => _target.TerminateSessionsAsync(target, [RoleName.Parse(previousLogin)], ct), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                var cause = PostgresErrors.Translate(e, $"on target {target.Name}");
                throw new PgRotateException(cause.Code,
                    $"rotated {name} to version {pending.Number} (login {pending.Username}) and {previousLogin} can no longer log in, but its open sessions could not be ended ({cause.Message})", e);
            }
        }

        await _hooks.AfterAsync(name, RotationStep.Finish, cancellationToken).ConfigureAwait(false);
        var elapsed = time.GetElapsedTime(started);
        Log.Rotated(_logger, name, pending.Number, pending.Username, (long)elapsed.TotalMilliseconds);
        return new RotationResult(name, pending.Number, pending.Username, previousLogin, graceEnd, resumed, elapsed)
        {
            PreviousRevoked = request.RevokePrevious && previousLogin is not null,
            SessionsEnded = sessionsEnded,
        };
    }

    /// <summary>
    /// A grace for one rotation must end by the next scheduled rotation, which gives the previous login its new password
    /// (see <see cref="SecretTiming"/> for the same rule on the stored grace).
    /// </summary>
    private void EnsureGraceFits(Secret secret, TimeSpan? grace)
    {
        if (grace is not { } g)
        {
            return;
        }

        if (g < TimeSpan.Zero || g > Bounds.MaxDuration)
        {
            throw PgRotateException.InvalidInput($"--grace {Durations.Format(g)} is outside 0s to 10 years (3650d)");
        }

        if (secret.Schedule is { } schedule && schedule.ShortestGap(time.GetUtcNow()) is var gap && g > gap)
        {
            throw PgRotateException.InvalidInput(
                $"--grace {Durations.Format(g)} is longer than the {Durations.Format(gap)} between scheduled rotations of {secret.Name}: the previous login's grace must end by the next rotation");
        }
    }

    /// <summary>
    /// A schedule or grace stored before they were bounded (an earlier version accepted --every 500000w) would fail only
    /// at the finish step, after the server was changed: refuse it before anything happens, and say how to fix it.
    /// </summary>
    private void EnsureStoredTimingUsable(Secret secret, RotationRequest request)
    {
        try
        {
            secret.Schedule?.NextAfter(time.GetUtcNow());
        }
        catch (PgRotateException e) when (e.Code == ErrorCode.InvalidInput)
        {
            throw PgRotateException.InvalidInput(
                $"secret {secret.Name}: {e.Message}; nothing was changed. Set a schedule within 10 years with 'pgrotate secret update {secret.Name} --every …' (or --cron, --no-schedule)");
        }

        if (request.Grace is null && !request.RevokePrevious && secret.Grace is { } grace && grace > Bounds.MaxDuration)
        {
            throw PgRotateException.InvalidInput(
                $"secret {secret.Name} has a grace of {Durations.Format(grace)}, over the 10-year maximum; nothing was changed. Set one with 'pgrotate secret update {secret.Name} --grace …' (or --no-grace)");
        }
    }

    /// <summary>
    /// Refuses a rotation that would give a new password to a login whose grace has not ended: clients that have not yet
    /// moved to the current credential still log in with it. IncompatibleState, not RotationInProgress: nothing else is
    /// running and waiting a few seconds does not help; the operator decides (wait, --force, or --revoke-previous).
    /// </summary>
    private async Task EnsureOutsideGraceAsync(Secret secret, CancellationToken cancellationToken)
    {
        if (await GraceEndAsync(secret.Name, cancellationToken).ConfigureAwait(false) is not { } grace)
        {
            return;
        }

        var (login, until) = grace;
        var ends = until is { } u ? "until " + u.ToString("u", System.Globalization.CultureInfo.InvariantCulture) : "with no end (VALID UNTIL infinity)";
        throw new PgRotateException(ErrorCode.IncompatibleState,
            $"the previous login {login} of {secret.Name} is inside its grace {ends}, and clients may still log in with it; rotating now would give it a new password and cut them. Rotate after the grace ends, or add --force to cut them anyway (or --revoke-previous after a leak)");
    }

    /// <summary>
    /// The previous login of <paramref name="secret"/> and the end of its grace, when that end is still ahead (null
    /// until: no end, as left by versions rotated before grace was always finite); null when no grace is running.
    /// </summary>
    internal async Task<(string Login, DateTimeOffset? Until)?> GraceEndAsync(string secret, CancellationToken cancellationToken)
    {
        var previous = await store.FindVersionAsync(secret, Stage.Previous, cancellationToken).ConfigureAwait(false);
        if (previous is null || previous.ValidUntil is { } until && until <= time.GetUtcNow())
        {
            return null;
        }

        return (previous.Username, previous.ValidUntil);
    }

    /// <summary>
    /// Before anything changes: ending other roles' sessions needs superuser or pg_signal_backend (a CREATEROLE rotator
    /// is not a member of the logins it created, and from PostgreSQL 16 its membership does not inherit).
    /// </summary>
    private async Task EnsureMayTerminateAsync(Target target, Retry retry, string name, CancellationToken cancellationToken)
    {
        var allowed = await retry.RunAsync(name, RotationStep.Create, ct => _target.MayTerminateSessionsAsync(target, ct), cancellationToken).ConfigureAwait(false);
        if (!allowed)
        {
            throw new PgRotateException(ErrorCode.PermissionDenied,
                $"--terminate ends other roles' sessions, which {target.Username} on target {target.Name} may not do; as a superuser run: GRANT pg_signal_backend TO {Sql.Identifier(target.Username)}; nothing was changed");
        }
    }

    /// <summary>
    /// A step that failed for good, or kept failing transiently past <see cref="RotationOptions.RetryFor"/>, before the
    /// pending version was judged: the store still has it pending and the next run resumes it. The error says so and
    /// keeps the cause's code (permission denied, unreachable, …); the cause's text is already scrubbed of verifiers
    /// (statements are shown by their display form). An alternating secret's clients are unaffected; a single role that
    /// got past set already has the pending password, so its current credential stops working until the resume.
    /// </summary>
    private static PgRotateException Stopped(string name, RotationStep step, RotationStrategy strategy, Target target, SecretVersion pending, SecretVersion current, Exception exception)
    {
        var cause = PostgresErrors.Translate(exception, $"on target {target.Name}");
        var clients = strategy.ReplacesCurrentInPlace && step != RotationStep.Set
            ? $"{pending.Username} may already have the pending password, so resume soon"
            : $"{current.Username} stays current";
        return new PgRotateException(cause.Code,
            $"rotation of {name} stopped at step {step.ToString().ToLowerInvariant()} ({cause.Message}); version {pending.Number} stays pending; the next 'pgrotate rotate {name}' resumes it; {clients}",
            exception);
    }

    /// <summary>
    /// A credential that failed its test is never promoted, and the strategy makes sure it is not usable either
    /// (<see cref="RotationStrategy.UndoFailedTestAsync"/>).
    /// </summary>
    private async Task FailAsync(RotationStrategy strategy, Secret secret, Target target, SecretVersion pending, SecretVersion current, Exception reason, Retry retry, CancellationToken cancellationToken)
    {
        Log.TestFailed(_logger, secret.Name, pending.Number, reason.Message);
        await retry.RunAsync(secret.Name, RotationStep.Test, ct => strategy.UndoFailedTestAsync(_target, target, pending, current, ct), cancellationToken).ConfigureAwait(false);
        // A scheduled secret whose test fails is tried again after a pause, not on every scheduler tick.
        var now = time.GetUtcNow();
        var retryAt = secret.Schedule?.NextAfter(now) is { } next && next - now < FailureBackoff ? next : now + FailureBackoff;
        await store.MarkFailedAsync(secret.Name, pending.Number, reason.Message, retryAt, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Applies a grace end that was stored but did not reach the server (a run died between promoting a version and
    /// expiring the previous login, or the server was away then). Under the secret's lock, and only if that version is
    /// still the unapplied previous one: a rotation that ran meanwhile may have given the login a new password, which the
    /// old grace end must not expire. Returns false when there was nothing left to apply.
    /// </summary>
    internal async Task<bool> RepairGraceAsync(string secret, int version, CancellationToken cancellationToken)
    {
        var held = await store.Locks.AcquireAsync(LockKey.Secret(secret), _options.LockWait, cancellationToken).ConfigureAwait(false);
        await using var closeHeld = held.ConfigureAwait(false);
        var unapplied = (await store.ListUnappliedGraceAsync(cancellationToken).ConfigureAwait(false))
            .Where(g => g.Secret == secret && g.Version == version).ToList();
        if (unapplied is not [var (_, _, username, validUntil)])
        {
            return false;
        }

        var target = await store.GetTargetAsync((await store.GetSecretAsync(secret, cancellationToken).ConfigureAwait(false)).Target, cancellationToken).ConfigureAwait(false);
        await _target.ExpireAsync(target, RoleName.Parse(username), validUntil, cancellationToken).ConfigureAwait(false);
        await store.MarkGraceAppliedAsync(secret, version, cancellationToken).ConfigureAwait(false);
        Log.GraceRepaired(_logger, secret, version, username);
        return true;
    }

    /// <summary>
    /// Secrets whose scheduled rotation time has come, and those with a rotation left pending by an interrupted run:
    /// finishing one is always due (a single role past its set step has the pending password already, so its current
    /// credential fails until then), and the scheduled time moves on only when a rotation finishes.
    /// </summary>
    internal async Task<IReadOnlyList<Secret>> DueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var interrupted = await store.ListInterruptedRotationsAsync(cancellationToken).ConfigureAwait(false);
        return (await store.ListSecretsAsync(cancellationToken).ConfigureAwait(false))
            .Where(s => (s.NextRotationAt is { } next && next <= now) || interrupted.Contains(s.Name))
            .ToList();
    }
}

namespace PgRotate.Rotation;

/// <summary>
/// What one rotation is asked to do beyond the secret's stored settings. Per call, so a scheduler run and an operator's
/// emergency rotation can share one <see cref="RotationEngine"/>.
/// </summary>
/// <param name="Secret">The secret to rotate.</param>
/// <param name="Grace">This rotation's grace for the previous login instead of the secret's own (null: the secret's).</param>
/// <param name="RevokePrevious">
/// After a leak: the previous login expires at once (VALID UNTIL in the past) instead of getting a grace. Cuts on
/// purpose, so it also proceeds while the login about to be changed is still inside an earlier grace.
/// </param>
/// <param name="TerminateSessions">
/// With <paramref name="RevokePrevious"/>: also end the sessions that still use an old credential, those of the
/// previous login and, right after its password is set and before anyone was given the new one, those of the login being
/// changed. Needs superuser or membership in pg_signal_backend.
/// </param>
/// <param name="Force">Rotate even while the login about to be changed is inside its grace (cuts its clients).</param>
/// <param name="OnlyIfDue">
/// A scheduled rotation: go ahead only if, once the secret's lock is held, the secret is still due (or has an interrupted
/// rotation to finish). Another process on the same store may have rotated it since this one listed it as due.
/// </param>
public sealed record RotationRequest(
    string Secret,
    TimeSpan? Grace = null,
    bool RevokePrevious = false,
    bool TerminateSessions = false,
    bool Force = false,
    bool OnlyIfDue = false);

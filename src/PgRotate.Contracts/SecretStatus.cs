namespace PgRotate.Contracts;

/// <summary>Whether a secret needs attention, as written on the wire.</summary>
public enum SecretStatus
{
    /// <summary>Has a current credential and is not due.</summary>
    Ok,

    /// <summary>Its scheduled rotation time has come.</summary>
    Due,

    /// <summary>A rotation was started and not finished (a pending version exists); the next rotate resumes it.</summary>
    Interrupted,

    /// <summary>Its last scheduled rotation failed; the scheduler tries again at the summary's <c>nextAttemptAt</c>.</summary>
    Failing,
}

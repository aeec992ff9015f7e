namespace PgRotate.Contracts;

/// <summary>Where a version of a secret stands, as written on the wire.</summary>
public enum CredentialStage
{
    /// <summary>Being rolled out: set on the server, not yet handed to clients.</summary>
    Pending,

    /// <summary>What clients connect with.</summary>
    Current,

    /// <summary>The one before current, still valid during its grace period.</summary>
    Previous,

    /// <summary>A former previous whose grace has been handed on.</summary>
    Retired,

    /// <summary>A pending version whose test failed; never promoted.</summary>
    Failed,
}

namespace PgRotate.Audit;

/// <summary>The actions the core records in the audit log; other parts (the server's tokens) add their own names.</summary>
public static class AuditActions
{
    /// <summary>A credential was handed out (by <c>pgrotate get</c> or the API): secret and version, never the value.</summary>
    public const string CredentialRead = "credential.read";

    /// <summary>A rotation promoted a new version.</summary>
    public const string RotationFinished = "rotation.finished";

    /// <summary>A rotation stopped or failed; the detail has the error code and message (which never hold a secret value).</summary>
    public const string RotationFailed = "rotation.failed";

    /// <summary>A target's admin password was rotated.</summary>
    public const string AdminRotated = "admin.rotated";

    /// <summary>A rotation of a target's admin password failed.</summary>
    public const string AdminRotationFailed = "admin.rotation_failed";
}

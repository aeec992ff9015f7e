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

    /// <summary>A secret was registered (or its missing roles set up again by a rerun of <c>secret add</c>).</summary>
    public const string SecretAdded = "secret.added";

    /// <summary>A secret's schedule, grace or check query changed; the detail lists the changes (a check query never by its text).</summary>
    public const string SecretUpdated = "secret.updated";

    /// <summary>A secret was forgotten, with or without dropping its logins.</summary>
    public const string SecretRemoved = "secret.removed";

    /// <summary>An adoption finished: the old login role can no longer log in.</summary>
    public const string AdoptionFinished = "secret.adoption_finished";

    /// <summary>A target was registered (its address and admin user; never the password).</summary>
    public const string TargetAdded = "target.added";

    /// <summary>A target's connection and/or admin password was replaced (which of them; never the password).</summary>
    public const string TargetUpdated = "target.updated";

    /// <summary>A target was forgotten, with the secrets removed along with it.</summary>
    public const string TargetRemoved = "target.removed";
}

namespace PgRotate.Store;

/// <summary>
/// Whose credential a row of the versions table (and an entry of the history) belongs to. A target's admin password is
/// rotated by <c>target rotate-admin</c> with the same protocol as a secret's credential (pending before the server
/// changes, promoted by <see cref="Promotion"/>, resumed after a crash from the pending row) and kept in the same
/// versions table; the owner kind keeps the two apart, so a target and a secret may share a name.
/// </summary>
public enum VersionOwner
{
    /// <summary>A secret's credential: the row's name is the secret's.</summary>
    Secret,

    /// <summary>A target's admin password: the row's name is the target's, its login the target's admin user.</summary>
    Target,
}

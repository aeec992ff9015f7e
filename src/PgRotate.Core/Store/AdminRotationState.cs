using PgRotate.Secrets;
using PgRotate.Targets;

namespace PgRotate.Store;

/// <summary>
/// What <c>target rotate-admin</c> starts from, read in one go: the target (with the admin password in force), the
/// pending admin version an interrupted run left (decrypted, so a damaged one is reported before anything connects)
/// and the highest admin version number used so far.
/// </summary>
public sealed record AdminRotationState(Target Target, SecretVersion? Pending, int HighestVersion);

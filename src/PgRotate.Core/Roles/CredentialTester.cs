using PgRotate.Crypto;
using PgRotate.Postgres;
using PgRotate.Secrets;
using PgRotate.Targets;

namespace PgRotate.Roles;

/// <summary>
/// Proves a credential works the way clients will use it: a fresh login (never a pooled connection), as the expected
/// session user, acting as the role the secret's strategy says it must act as, then the secret's own check query,
/// which can read but never write. The login itself is <see cref="TargetOperations.TestLoginAsync"/>.
/// </summary>
public sealed class CredentialTester(TargetOperations operations)
{
    /// <summary>Tests <paramref name="version"/> of <paramref name="secret"/>, with the secret's check query when <paramref name="withCheckSql"/>.</summary>
    internal Task TestAsync(Target target, Secret secret, SecretVersion version, bool withCheckSql, CancellationToken cancellationToken) =>
        TestAsync(target, version.Username, version.Password, RotationStrategies.For(secret).ActsAs(secret).Value,
            withCheckSql ? secret.CheckSql : null, cancellationToken);

    internal Task TestAsync(Target target, string username, SecretText password, string expectedCurrentUser, string? checkSql, CancellationToken cancellationToken) =>
        operations.TestLoginAsync(target, username, password, expectedCurrentUser, checkSql, cancellationToken);
}

using PgRotate.Crypto;
using PgRotate.Secrets;
using PgRotate.Targets;

namespace PgRotate.Credentials;

/// <summary>
/// Everything a client needs to connect with one version of a secret, including the TLS settings pgrotate itself uses
/// for the target (<see cref="Tls"/>), so that a client does not connect with less.
/// </summary>
public sealed record Credential(
    string Name,
    string Username,
    SecretText Password,
    string Host,
    int Port,
    string Database,
    int Version,
    Stage Stage,
    DateTimeOffset? RotatedAt,
    DateTimeOffset? ValidUntil)
{
    internal ClientTls Tls { get; init; } = ClientTls.None;

    public static Credential From(Secret secret, Target target, SecretVersion version) =>
        new(secret.Name, version.Username, version.Password, target.Host, target.Port, target.Database, version.Number, version.Stage,
            version.ActivatedAt, version.ValidUntil)
        {
            Tls = TargetTls.ForClients(target),
        };
}

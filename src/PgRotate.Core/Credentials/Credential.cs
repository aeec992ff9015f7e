using PgRotate.Crypto;
using PgRotate.Secrets;
using PgRotate.Targets;
using PgRotate.Wire;

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

    /// <summary>
    /// A credential received from the API (<c>pgrotate get --format json</c>'s record) as this record again, so that a
    /// client of the API (the agent) writes it out through <see cref="CredentialFormats"/> exactly as <c>get</c> does.
    /// TLS values are libpq's spellings, as the API writes them; one not known here is refused rather than dropped, so a
    /// client never connects with less than the target asks.
    /// </summary>
    public static Credential FromContract(Contracts.Credential c) => new(
        c.Name, c.Username, new SecretText(c.Password), c.Host, c.Port, c.Database, c.Version,
        Enum.GetValues<Stage>().Single(s => s.ToContract() == c.Stage), c.RotatedAt, c.ValidUntil)
    {
        Tls = new ClientTls(
            c.SslMode is { } mode ? FromLibpq(mode, Enum.GetValues<Npgsql.SslMode>(), TargetTls.LibpqName, "sslmode") : null,
            c.SslRootCert,
            c.ChannelBinding is { } binding ? FromLibpq(binding, Enum.GetValues<Npgsql.ChannelBinding>(), TargetTls.LibpqName, "channel_binding") : null),
    };

    private static T FromLibpq<T>(string text, T[] values, Func<T, string> name, string setting) where T : struct =>
        values.Where(v => name(v) == text).Select(v => (T?)v).FirstOrDefault()
        ?? throw Errors.PgRotateException.InvalidInput($"unknown {setting} {Postgres.Sql.Printable(text)} in a credential");
}

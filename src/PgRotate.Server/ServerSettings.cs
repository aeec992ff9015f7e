namespace PgRotate.Server;

/// <summary>How <c>pgrotate serve</c> runs: where it listens, with which certificate, and its limits.</summary>
public sealed record ServerSettings
{
    /// <summary>The port pgrotate listens on when --listen does not name one.</summary>
    public const int DefaultPort = 7420;

    /// <summary>Where to listen (see <see cref="ListenAddress"/>).</summary>
    public required ListenAddress Listen { get; init; }

    /// <summary>PEM certificate (chain) and its PEM private key, for HTTPS; both or neither.</summary>
    public string? TlsCertificateFile { get; init; }

    public string? TlsKeyFile { get; init; }

    /// <summary>Serve plain HTTP on an address other machines can reach (warned about on stderr).</summary>
    public bool Insecure { get; init; }

    /// <summary>
    /// Where the Vault-compatible paths are served (<c>/v1/MOUNT/creds/…</c>, see <see cref="VaultCompatibility.VaultMount"/>);
    /// null turns them off (<c>serve --no-vault</c>).
    /// </summary>
    public string? VaultMount { get; init; } = VaultCompatibility.VaultMount.Default;

    /// <summary>How often the scheduler looks for due rotations.</summary>
    public TimeSpan SchedulerInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How many scheduled rotations run at once.</summary>
    public int SchedulerParallel { get; init; } = 4;

    /// <summary>The largest request body accepted; the only body the API reads is a rotation's few options.</summary>
    internal long MaxRequestBodyBytes { get; init; } = 16 * 1024;

    /// <summary>Failed authentications one address may make per minute before it is answered 429.</summary>
    internal int AuthFailuresPerMinute { get; init; } = 20;

    /// <summary>The longest <c>timeout</c> of a long-poll.</summary>
    internal TimeSpan MaxWait { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a rotation asked for through the API waits for another process rotating the same secret.</summary>
    internal TimeSpan RotationLockWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long an accepted token is trusted without asking the store again: a token revoked by another process
    /// (<c>pgrotate token revoke</c>) is refused at the latest this long after the revocation.
    /// </summary>
    internal TimeSpan TokenCacheTime { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a credential's answer is kept without asking the store again. Rotations (this server's own and, through
    /// the store's change feed, everyone else's) drop it at once; the bound is for what the feed does not signal, such as
    /// a target moved to another host by <c>pgrotate target update</c>.
    /// </summary>
    internal TimeSpan CredentialCacheTime { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often a scrape of <c>/metrics</c> counts the store's leases again for the lease gauges.</summary>
    internal TimeSpan LeaseGaugeRefresh { get; init; } = TimeSpan.FromSeconds(5);
}

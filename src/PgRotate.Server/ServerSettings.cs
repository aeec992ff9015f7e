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
}

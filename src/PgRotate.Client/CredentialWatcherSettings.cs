namespace PgRotate.Client;

/// <summary>How a <see cref="CredentialWatcher"/> follows a secret: long-poll length, full-refresh period, backoff cap.</summary>
public sealed record CredentialWatcherSettings
{
    /// <summary>The server answers a long-poll after at most 5 minutes.</summary>
    public static readonly TimeSpan MaxLongPollTimeout = TimeSpan.FromMinutes(5);

    public static CredentialWatcherSettings Default { get; } = new();

    /// <summary>How long one long-poll waits for a rotation before asking again (whole seconds, 1 s to 5 min).</summary>
    public TimeSpan LongPollTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How often the current credential is fetched in full after a long-poll, as well: it catches what a long-poll
    /// cannot report (a secret removed and added again starts its versions anew) and a proxy that swallows answers.
    /// </summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest pause between attempts while the server cannot be reached (from 100 ms to 1 hour).</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>One message per value out of range; empty when usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (LongPollTimeout < TimeSpan.FromSeconds(1) || LongPollTimeout > MaxLongPollTimeout)
        {
            problems.Add($"LongPollTimeout must be from 1 s to 5 min (the server's bound), not {LongPollTimeout}");
        }

        if (RefreshInterval < TimeSpan.FromSeconds(1))
        {
            problems.Add($"RefreshInterval must be at least 1 s, not {RefreshInterval}");
        }

        if (MaxBackoff < TimeSpan.FromMilliseconds(100) || MaxBackoff > TimeSpan.FromHours(1))
        {
            problems.Add($"MaxBackoff must be from 100 ms to 1 hour, not {MaxBackoff}");
        }

        return problems;
    }
}

using PgRotate.Errors;
using PgRotate.Scheduling;

namespace PgRotate.Leases;

/// <summary>
/// A dynamic secret's lease limits and how its lease roles are named: a lease lives <see cref="DefaultTtl"/> unless
/// asked otherwise, and never past <see cref="MaxTtl"/> after it was issued, renewals included.
/// <see cref="NameTemplate"/> decides which roles the orphan sweep may drop, so stores authenticate this row like a
/// secret's.
/// </summary>
public sealed record LeaseSettings(string Secret, TimeSpan DefaultTtl, TimeSpan MaxTtl, string NameTemplate)
{
    public static readonly TimeSpan DefaultDefaultTtl = TimeSpan.FromHours(1);
    public static readonly TimeSpan DefaultMaxTtl = TimeSpan.FromHours(24);

    /// <summary>The shortest lease: below it a client could not even connect before its login expired.</summary>
    public static readonly TimeSpan MinimumTtl = TimeSpan.FromSeconds(1);

    /// <summary>Validated limits for a new dynamic secret.</summary>
    public static LeaseSettings Create(string secret, TimeSpan? defaultTtl, TimeSpan? maxTtl, string? nameTemplate)
    {
        var max = maxTtl ?? DefaultMaxTtl;
        var @default = defaultTtl ?? (max < DefaultDefaultTtl ? max : DefaultDefaultTtl);
        if (@default < MinimumTtl || max < MinimumTtl)
        {
            throw PgRotateException.InvalidInput("--default-ttl and --max-ttl must be at least 1s");
        }

        if (@default > max)
        {
            throw PgRotateException.InvalidInput($"--default-ttl {Durations.Format(@default)} is longer than --max-ttl {Durations.Format(max)}");
        }

        return new LeaseSettings(secret, @default, max, LeaseRoleNames.ParseTemplate(nameTemplate));
    }

    /// <summary>How long a new lease lives: <paramref name="requested"/> (else the default), at most the maximum.</summary>
    public TimeSpan Lifetime(TimeSpan? requested)
    {
        var ttl = requested ?? DefaultTtl;
        if (ttl < MinimumTtl)
        {
            throw PgRotateException.InvalidInput("--ttl must be at least 1s");
        }

        return ttl < MaxTtl ? ttl : MaxTtl;
    }
}

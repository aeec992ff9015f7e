using System.Threading.RateLimiting;

namespace PgRotate.Server.Auth;

/// <summary>
/// Counts failed authentications per client address in a fixed one-minute window; an address that has used up its
/// failures is answered 429 before its token is even looked at, so guessing tokens from one address is slow. Built on
/// the rate limiters of System.Threading.RateLimiting (what ASP.NET Core's rate-limiting middleware uses), directly:
/// that middleware limits every request, and only failures are to be limited here.
/// </summary>
internal sealed class AuthFailureLimiter(ServerSettings settings) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _failures = PartitionedRateLimiter.Create<string, string>(address =>
        RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = settings.AuthFailuresPerMinute,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    public static TimeSpan RetryAfter => TimeSpan.FromMinutes(1);

    public bool IsBlocked(string address) => _failures.GetStatistics(address) is { CurrentAvailablePermits: <= 0 };

    public void RecordFailure(string address)
    {
        using var lease = _failures.AttemptAcquire(address);
    }

    public void Dispose() => _failures.Dispose();
}

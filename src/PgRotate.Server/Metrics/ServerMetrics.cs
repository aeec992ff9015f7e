using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using PgRotate.Server.Watching;

namespace PgRotate.Server.Metrics;

/// <summary>
/// The server's instruments on the <c>PgRotate.Server</c> meter, exported at <c>/metrics</c> in Prometheus text:
/// rotations by outcome, rotation duration, credential reads, open watches, seconds until each secret's next rotation,
/// and authentication failures by reason.
/// </summary>
internal sealed class ServerMetrics
{
    public const string MeterName = "PgRotate.Server";

    private readonly Counter<long> _rotations;
    private readonly Histogram<double> _rotationDuration;
    private readonly Counter<long> _credentialReads;
    private readonly Counter<long> _authFailures;
    private readonly ConcurrentDictionary<string, DateTimeOffset?> _nextRotations = new(StringComparer.Ordinal);

    public ServerMetrics(IMeterFactory meters, SecretWatchers watchers, TimeProvider time)
    {
        var meter = meters.Create(MeterName);
        _rotations = meter.CreateCounter<long>("pgrotate.rotations", "{rotation}", "Rotations by outcome (succeeded, failed, in_progress) and trigger (api, schedule)");
        _rotationDuration = meter.CreateHistogram<double>("pgrotate.rotation.duration", "s", "How long a rotation took, from lock to promotion");
        _credentialReads = meter.CreateCounter<long>("pgrotate.credential.reads", "{read}", "Credentials handed out by the API, by stage");
        _authFailures = meter.CreateCounter<long>("pgrotate.auth.failures", "{failure}", "Requests refused for their token, by reason");
        meter.CreateObservableUpDownCounter("pgrotate.watches.open", () => watchers.Open, "{watch}", "Long-polls waiting for a new version");
        meter.CreateObservableGauge("pgrotate.secret.next_rotation", () => NextRotations(time.GetUtcNow()), "s",
            "Seconds until each scheduled secret's next rotation (negative: overdue)");
    }

    public void Rotation(string outcome, string trigger, TimeSpan elapsed)
    {
        _rotations.Add(1, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("trigger", trigger));
        if (outcome == "succeeded")
        {
            _rotationDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("trigger", trigger));
        }
    }

    public void CredentialRead(string stage) => _credentialReads.Add(1, new KeyValuePair<string, object?>("stage", stage));

    public void AuthFailure(string reason) => _authFailures.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>What the next-rotation gauge reports: refreshed from the store by each scheduler tick and secret listing.</summary>
    public void NextRotationsAre(IEnumerable<(string Secret, DateTimeOffset? At)> secrets)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (secret, at) in secrets)
        {
            _nextRotations[secret] = at;
            seen.Add(secret);
        }

        foreach (var gone in _nextRotations.Keys.Where(k => !seen.Contains(k)))
        {
            _nextRotations.TryRemove(gone, out _);
        }
    }

    private IEnumerable<Measurement<double>> NextRotations(DateTimeOffset now) =>
        _nextRotations.Where(p => p.Value is not null)
            .Select(p => new Measurement<double>((p.Value!.Value - now).TotalSeconds, new KeyValuePair<string, object?>("secret", p.Key)));
}

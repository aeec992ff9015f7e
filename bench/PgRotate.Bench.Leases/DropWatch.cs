using Npgsql;

namespace PgRotate.Bench.Leases;

/// <summary>
/// Watches pg_roles on its own connection: for each issued lease, the delay from its expiry to the first sample in
/// which its login is gone. Samples are <see cref="Every"/> apart, so a delay is exact to within that.
/// </summary>
internal sealed class DropWatch(NpgsqlDataSource admin, string likePattern)
{
    public static readonly TimeSpan Every = TimeSpan.FromMilliseconds(100);

    private readonly Dictionary<string, (DateTimeOffset ExpiresAt, DateTimeOffset KnownAt)> _pending = new(StringComparer.Ordinal);
    private readonly List<double> _delaysMs = [];
    private readonly Lock _gate = new();

    public void Issued(string role, DateTimeOffset expiresAt)
    {
        lock (_gate)
        {
            _pending[role] = (expiresAt, DateTimeOffset.UtcNow);
        }
    }

    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    public double[] SortedDelaysMs()
    {
        lock (_gate)
        {
            return [.. _delaysMs.Order()];
        }
    }

    /// <summary>Samples until cancelled; a login seen gone is recorded once, at the sample's time.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var connection = await admin.OpenConnectionAsync(cancellationToken);
        while (!cancellationToken.IsCancellationRequested)
        {
            // A login issued while this sample ran may be missing from it without having been dropped.
            var sampledFrom = DateTimeOffset.UtcNow;
            var present = new HashSet<string>(StringComparer.Ordinal);
            await using (var command = new NpgsqlCommand("SELECT rolname::text FROM pg_roles WHERE rolname LIKE $1", connection))
            {
                command.Parameters.Add(new() { Value = likePattern });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    present.Add(reader.GetString(0));
                }
            }

            var seenAt = DateTimeOffset.UtcNow;
            lock (_gate)
            {
                foreach (var (role, lease) in _pending.Where(p => p.Value.KnownAt < sampledFrom && !present.Contains(p.Key)).ToList())
                {
                    _delaysMs.Add((seenAt - lease.ExpiresAt).TotalMilliseconds);
                    _pending.Remove(role);
                }
            }

            try
            {
                await Task.Delay(Every, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

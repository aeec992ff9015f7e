using System.Diagnostics.Metrics;
using Microsoft.Extensions.Time.Testing;
using PgRotate.Leases;
using PgRotate.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Leases;

/// <summary>
/// What issuing and reaping cost on the target, counted as the operations (commands and batches) the driver runs on the
/// sandbox's admin login: an issue is one round trip once the target's facts are known, and a reaper pass over many
/// leases takes a few per chunk, not several per lease.
/// </summary>
public sealed class LeaseRoundTripTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Issuing_a_lease_is_one_round_trip_to_the_target_once_its_facts_are_known()
    {
        using var sandbox = await LeaseSandbox.CreateAsync(postgres);
        await using var store = await sandbox.Cli.OpenStoreAsync();
        await using var connector = new TargetConnector();
        var facts = new RotatorFacts(connector, TimeProvider.System);
        await new LeaseIssuer(store, connector, TimeProvider.System, facts: facts).IssueAsync(sandbox.Secret, null, Ct);
        using var operations = new AdminOperationCounter(sandbox.Rotator);

        // A new issuer, as the server makes one per request, sharing the facts.
        var issued = await new LeaseIssuer(store, connector, TimeProvider.System, facts: facts).IssueAsync(sandbox.Secret, null, Ct);

        Assert.Equal(1, operations.Count);
        Assert.True(await sandbox.RoleExistsAsync(issued.Lease.Role));
    }

    [Fact]
    public async Task A_reaper_pass_over_forty_leases_takes_fewer_round_trips_than_there_are_leases()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var sandbox = await LeaseSandbox.CreateAsync(postgres, time);
        await using var store = await sandbox.Cli.OpenStoreAsync();
        await using var connector = new TargetConnector();
        var issuer = new LeaseIssuer(store, connector, time);
        for (var i = 0; i < 40; i++)
        {
            await issuer.IssueAsync(sandbox.Secret, TimeSpan.FromMinutes(5), Ct);
        }

        time.Advance(TimeSpan.FromMinutes(10));
        var reaper = new LeaseReaper(store, connector, time);
        using var operations = new AdminOperationCounter(sandbox.Rotator);

        var result = await reaper.RunOnceAsync(Ct);

        Assert.Equal((40, 0), (result.Revoked, result.Failed));
        Assert.Empty(await sandbox.LeaseRolesAsync());
        Assert.InRange(operations.Count, 1, 39);
    }

    /// <summary>
    /// Counts the driver's <c>db.client.operation.duration</c> measurements (one per command or batch) on connections
    /// that log in as <paramref name="login"/>: the data source's name carries the user name, and other tests running
    /// meanwhile use other logins.
    /// </summary>
    private sealed class AdminOperationCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private int _count;

        public AdminOperationCounter(string login)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "Npgsql" && instrument.Name == "db.client.operation.duration")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "db.client.connection.pool.name" && tag.Value is string pool && pool.Contains(login, StringComparison.Ordinal))
                    {
                        Interlocked.Increment(ref _count);
                    }
                }
            });
            _listener.Start();
        }

        public int Count => Volatile.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }
}

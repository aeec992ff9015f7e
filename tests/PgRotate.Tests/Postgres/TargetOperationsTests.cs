using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Rotation;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Postgres;

/// <summary>
/// Everything done to a target goes through <see cref="TargetOperations"/>, which counts and times each operation on
/// the <c>PgRotate.Target</c> meter and reports a failure once, naming the target and the statement.
/// </summary>
public sealed class TargetOperationsTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_rotation_counts_and_times_each_operation_it_does_to_the_target()
    {
        var ct = TestContext.Current.CancellationToken;
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", "metrics/app", "--target", sandbox.TargetName, "--group", Unique.Name("app"))).Ok();
        using var measurements = new TargetMeasurements(sandbox.TargetName);
        var store = await sandbox.OpenStoreAsync();
        await using var connector = new TargetConnector();

        await new RotationEngine(store, connector, TimeProvider.System).RotateAsync("metrics/app", ct);

        Assert.Equal(
            [("pgrotate.target.operation.duration", "expire", "ok"), ("pgrotate.target.operation.duration", "set_password", "ok"), ("pgrotate.target.operation.duration", "test_login", "ok"),
             ("pgrotate.target.operations", "expire", "ok"), ("pgrotate.target.operations", "set_password", "ok"), ("pgrotate.target.operations", "test_login", "ok")],
            measurements.Seen.Select(m => (m.Instrument, m.Operation, m.Outcome)).Order());
        Assert.All(measurements.Seen.Where(m => m.Instrument == "pgrotate.target.operations"), m => Assert.Equal(1, m.Value));
        Assert.All(measurements.Seen.Where(m => m.Instrument == "pgrotate.target.operation.duration"), m => Assert.True(m.Value > 0));
    }

    [Fact]
    public async Task A_failed_statement_is_reported_with_its_target_and_statement_and_counted_as_failed()
    {
        var ct = TestContext.Current.CancellationToken;
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var target = await (await sandbox.OpenStoreAsync()).GetTargetAsync(sandbox.TargetName, ct);
        using var measurements = new TargetMeasurements(sandbox.TargetName);
        await using var connector = new TargetConnector();
        var missing = Unique.Name("missing");

        var error = await Assert.ThrowsAsync<PgRotateException>(() =>
            new TargetOperations(connector, TimeProvider.System).ExpireAsync(target, RoleName.Parse(missing), RoleSql.Invalidated, ct));

        Assert.Equal(ErrorCode.PostgresError, error.Code);
        Assert.StartsWith($"on target {sandbox.TargetName}, ALTER ROLE \"{missing}\" VALID UNTIL", error.Message);
        Assert.Contains("42704", error.Message);
        Assert.Contains(measurements.Seen, m => m is { Instrument: "pgrotate.target.operations", Operation: "expire", Outcome: "failed", Value: 1 });
    }

    [Fact]
    public async Task A_dropped_connection_is_reported_as_the_target_being_unreachable_and_still_counts_as_transient()
    {
        var ct = TestContext.Current.CancellationToken;
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var target = await (await sandbox.OpenStoreAsync()).GetTargetAsync(sandbox.TargetName, ct);
        using var measurements = new TargetMeasurements(sandbox.TargetName);
        await using var connector = new TargetConnector();
        // The server ends the session in the middle of the transaction, as a restart would (57P01).
        var dropped = new RoleStatement("SELECT pg_terminate_backend(pg_backend_pid())", "the session ends itself");

        var error = await Assert.ThrowsAsync<PgRotateException>(() =>
            new TargetOperations(connector, TimeProvider.System).ApplyAsync(target, [dropped], ct));

        Assert.Equal(ErrorCode.TargetUnreachable, error.Code);
        Assert.StartsWith($"on target {sandbox.TargetName}, the session ends itself: ", error.Message);
        Assert.True(PostgresErrors.IsTransient(error));
        Assert.Contains(measurements.Seen, m => m is { Instrument: "pgrotate.target.operations", Operation: "apply", Outcome: "transient" });
    }

    /// <summary>What the <c>PgRotate.Target</c> meter records for one target while this object lives.</summary>
    private sealed class TargetMeasurements : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Instrument, string Operation, string Outcome, double Value)> _seen = new();

        public TargetMeasurements(string target)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == TargetMetrics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(target, instrument, value, tags));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(target, instrument, value, tags));
            _listener.Start();
        }

        public IReadOnlyList<(string Instrument, string Operation, string Outcome, double Value)> Seen => [.. _seen];

        private void Add(string target, Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var values = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var tag in tags)
            {
                values[tag.Key] = tag.Value as string;
            }

            if (values.GetValueOrDefault("target") == target)
            {
                _seen.Enqueue((instrument.Name, values["operation"]!, values["outcome"]!, value));
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}

using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace PgRotate.Postgres;

/// <summary>
/// The <c>PgRotate.Target</c> meter: how many operations pgrotate ran against target servers and how long each took,
/// tagged by target name, operation (<see cref="TargetOperation"/>, in snake case) and outcome (ok, failed,
/// transient, cancelled).
/// One meter for the process, as .NET's own libraries keep theirs: instruments are thread-safe and a listener
/// (OpenTelemetry, dotnet-counters) subscribes to them by the meter's name.
/// </summary>
public static class TargetMetrics
{
    public const string MeterName = "PgRotate.Target";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Operations =
        Meter.CreateCounter<long>("pgrotate.target.operations", unit: "{operation}", description: "Operations run against target servers");

    private static readonly Histogram<double> Duration =
        Meter.CreateHistogram<double>("pgrotate.target.operation.duration", unit: "s", description: "How long each operation against a target server took");

    internal static void Record(string target, TargetOperation operation, string outcome, TimeSpan elapsed)
    {
        var tags = new TagList { { "target", target }, { "operation", Name(operation) }, { "outcome", outcome } };
        Operations.Add(1, tags);
        Duration.Record(elapsed.TotalSeconds, tags);
    }

    internal static string Name(TargetOperation operation) => operation switch
    {
        TargetOperation.SetPassword => "set_password",
        TargetOperation.SetOwnPassword => "set_own_password",
        TargetOperation.Expire => "expire",
        TargetOperation.Apply => "apply",
        TargetOperation.TerminateSessions => "terminate_sessions",
        TargetOperation.ReadSettings => "read_settings",
        TargetOperation.TestLogin => "test_login",
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };
}

namespace PgRotate.Tests.Support;

/// <summary>
/// Tests that read a server's <c>/metrics</c> run alone: every server in the test process names its meters alike, and
/// the OpenTelemetry SDK follows instruments by name, so servers running in parallel count into each other's scrapes
/// (a counter read as 2 for one rotation) or take a gauge out of one as they stop.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ServerMetricsCollection
{
    public const string Name = "server metrics";
}

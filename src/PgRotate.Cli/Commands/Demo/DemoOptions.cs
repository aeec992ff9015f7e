using PgRotate.Secrets;

namespace PgRotate.Cli.Commands.Demo;

/// <summary>What <c>pgrotate demo</c> was asked to run, checked while parsing.</summary>
internal sealed record DemoOptions(
    int Workers,
    TimeSpan RotateEvery,
    TimeSpan Duration,
    Strategy Strategy,
    bool ClientRetry,
    bool Pooling,
    bool PgBouncer,
    string? BinDir);

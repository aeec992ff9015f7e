using PgRotate.Roles;
using PgRotate.Secrets;

namespace PgRotate.Cli.Commands.Demo;

/// <summary>What <c>pgrotate demo</c> was asked to run, checked while parsing.</summary>
/// <param name="PgBouncerProgram">The pgbouncer to run pgbench through; null: no pgbouncer leg.</param>
internal sealed record DemoOptions(
    int Workers,
    TimeSpan RotateEvery,
    TimeSpan Duration,
    Strategy Strategy,
    bool ClientRetry,
    bool Pooling,
    string? PgBouncerProgram,
    string? BinDir)
{
    /// <summary>
    /// Whether a rotation moves clients to another login (the logins take turns), so that a switch-over can be timed;
    /// a strategy whose one login is the group only changes that login's password.
    /// </summary>
    public bool LoginTakesTurns => !RotationStrategies.For(Strategy).GroupIsTheLogin;
}

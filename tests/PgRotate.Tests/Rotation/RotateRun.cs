using System.Text.Json;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary>One rotation as <c>pgrotate rotate … --json</c> reports it.</summary>
public sealed record RotateRun(string Name, int Version, string Username, string? PreviousUsername, DateTimeOffset? PreviousValidUntil, bool Resumed)
{
    public static IReadOnlyList<RotateRun> Parse(string json) =>
        JsonDocument.Parse(json).RootElement.EnumerateArray().Select(r => new RotateRun(
            r.GetProperty("name").GetString()!,
            r.GetProperty("version").GetInt32(),
            r.GetProperty("username").GetString()!,
            r.GetProperty("previousUsername").GetString(),
            r.GetProperty("previousValidUntil").ValueKind == JsonValueKind.Null ? null : r.GetProperty("previousValidUntil").GetDateTimeOffset(),
            r.GetProperty("resumed").GetBoolean())).ToList();

    /// <summary>
    /// <c>pgrotate rotate SECRET --json --force</c> in-process; asserts success. With --force: tests rotate back to back,
    /// inside the previous login's grace (GraceRefusalTests cover the refusal without it).
    /// </summary>
    public static async Task<RotateRun> RunAsync(CliSandbox sandbox, string secret) =>
        Assert.Single(Parse((await sandbox.RunAsync("rotate", secret, "--json", "--force")).Ok()));

    /// <summary>
    /// <see cref="RunAsync"/> with <c>--wait 30s</c>, after a killed rotator: a store in PostgreSQL releases the dead
    /// holder's lock when the server sees its session end, which is not ordered with this process seeing the child exit.
    /// A lock that outlived its holder would still fail this with exit 13.
    /// </summary>
    public static async Task<RotateRun> RunWaitingForTheLockAsync(CliSandbox sandbox, string secret) =>
        Assert.Single(Parse((await sandbox.RunAsync("rotate", secret, "--json", "--force", "--wait", "30s")).Ok()));
}

namespace PgRotate.Rotation;

/// <summary>
/// Points where tests (and the CLI's fault-injection switch) can act between steps: pause, restart the server, or
/// kill the process, to prove that a rotation resumes from whatever the store recorded.
/// </summary>
public sealed class RotationHooks
{
    public Func<string, RotationStep, CancellationToken, ValueTask>? AfterStep { get; init; }

    internal ValueTask AfterAsync(string secret, RotationStep step, CancellationToken cancellationToken) =>
        AfterStep?.Invoke(secret, step, cancellationToken) ?? ValueTask.CompletedTask;
}

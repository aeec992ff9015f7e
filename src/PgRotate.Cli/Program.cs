using PgRotate.Cli;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    try
    {
        cancellation.Cancel();
    }
    catch (ObjectDisposedException)
    {
        // A signal that arrives while the process is ending: the command has already returned, nothing is left to stop.
    }
};

return await CliApp.RunAsync(args, CliHost.FromProcess(), cancellation.Token);

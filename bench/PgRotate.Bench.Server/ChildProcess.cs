using System.Diagnostics;
using System.Text;

namespace PgRotate.Bench.Server;

/// <summary>A child process whose output is collected line by line, so the bench can wait for a line it announces.</summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Line)> _waiters = [];
    private readonly Lock _gate = new();

    private ChildProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Received(e.Data);
        _process.ErrorDataReceived += (_, e) => Received(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public static ChildProcess Start(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment, string? stdin = null)
    {
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var child = new ChildProcess(process);
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }

        process.StandardInput.Close();
        return child;
    }

    /// <summary>Runs to the end and returns everything it wrote; a non-zero exit is an error naming the command.</summary>
    public static async Task<string> RunAsync(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment, string? stdin = null)
    {
        var list = args.ToList();
        await using var child = Start(program, list, environment, stdin);
        await child._process.WaitForExitAsync();
        var output = child.Output;
        if (child._process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(program)} {string.Join(' ', list.Take(2))} exited {child._process.ExitCode}: {output.Trim()}");
        }

        return output;
    }

    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    public Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var line = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            foreach (var seen in _output.ToString().Split('\n'))
            {
                if (match(seen))
                {
                    return Task.FromResult(seen);
                }
            }

            _waiters.Add((match, line));
        }

        return line.Task.WaitAsync(timeout);
    }

    /// <summary>Resident memory (VmRSS) in MiB, read from /proc.</summary>
    public double ResidentMebibytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
            }
        }

        return double.NaN;
    }

    private void Received(string? data)
    {
        if (data is null)
        {
            return;
        }

        lock (_gate)
        {
            _output.Append(data).Append('\n');
            foreach (var waiter in _waiters.Where(w => w.Match(data)).ToList())
            {
                waiter.Line.TrySetResult(data);
                _waiters.Remove(waiter);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM first: the server answers its long-polls and stops cleanly.
            Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }
}

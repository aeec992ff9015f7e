using System.Diagnostics;
using System.Text.RegularExpressions;
using PgRotate.Bench.Server;

namespace PgRotate.Bench.Replicas;

/// <summary>
/// Several <c>pgrotate serve</c> processes on one store, each in a slot of its own. A slot's URL is known only while
/// its process is serving (it listens on a free port and says which); a replica killed with SIGKILL is started again
/// at once in the same slot, on whatever port is free then.
/// </summary>
internal sealed partial class Replicas(SharedStore store, int count, string schedulerInterval, int parallel, string warmUpToken, string warmUpPath) : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    private readonly Slot[] _slots = Enumerable.Range(0, count).Select(_ => new Slot()).ToArray();
    private readonly Lock _gate = new();
    private readonly List<Task> _starting = [];

    public int Count => _slots.Length;

    /// <summary>How many replicas were killed with SIGKILL.</summary>
    public int Kills { get; private set; }

    /// <summary>Starts every replica and waits until all are serving.</summary>
    public async Task StartAllAsync()
    {
        for (var i = 0; i < _slots.Length; i++)
        {
            Start(i);
        }

        List<Task> starting;
        lock (_gate)
        {
            starting = [.. _starting];
        }

        await Task.WhenAll(starting);
    }

    /// <summary>The URL of replica <paramref name="index"/> while it is serving, else null.</summary>
    public Uri? UrlOf(int index)
    {
        lock (_gate)
        {
            return _slots[index].Url;
        }
    }

    /// <summary>The URLs of the replicas serving now, by slot.</summary>
    public IReadOnlyList<(int Index, Uri Url)> Serving()
    {
        lock (_gate)
        {
            return _slots.Select((s, i) => (i, s.Url)).Where(s => s.Url is not null).Select(s => (s.i, s.Url!)).ToList();
        }
    }

    /// <summary>
    /// Until cancelled: once every replica is serving, wait 0.5 to 1 s, SIGKILL one of them (chosen at random) and start
    /// it again at once. A replica takes a moment to start, so killing only while the other one serves keeps the store
    /// from going without a replica for long, and leaves the other replica to finish what the killed one was doing.
    /// When the secrets fire (at <paramref name="firingSecond"/> of each minute) within the next few seconds, the kill
    /// waits for that and comes 0.1 to 1.5 s into the firing instead, while the replicas are busy rotating.
    /// </summary>
    public async Task KillLoopAsync(int firingSecond, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await WaitUntilAllServingAsync().WaitAsync(cancellationToken);
                var pause = TimeSpan.FromMilliseconds(Random.Shared.Next(500, 1000));
                var now = DateTimeOffset.UtcNow;
                var firing = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, firingSecond, TimeSpan.Zero);
                firing = firing <= now ? firing.AddMinutes(1) : firing;
                if (firing - now < pause + TimeSpan.FromSeconds(4))
                {
                    pause = firing - now + TimeSpan.FromMilliseconds(Random.Shared.Next(100, 1500));
                }

                await Task.Delay(pause, cancellationToken);
                await KillAndRestartAsync(Random.Shared.Next(_slots.Length));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Waits until every replica started so far is serving (after the kill loop stopped).</summary>
    public async Task WaitUntilAllServingAsync()
    {
        List<Task> starting;
        lock (_gate)
        {
            starting = [.. _starting];
        }

        await Task.WhenAll(starting);
    }

    private async Task KillAndRestartAsync(int index)
    {
        ChildProcess? process;
        lock (_gate)
        {
            process = _slots[index].Process;
            _slots[index].Url = null;
            _slots[index].Process = null;
        }

        if (process is not null)
        {
            // Process.Kill is SIGKILL on Linux: no shutdown hook runs, a rotation in flight stops wherever it is.
            using (var victim = Process.GetProcessById(process.Id))
            {
                victim.Kill();
            }

            Kills++;
            await process.DisposeAsync();
        }

        Start(index);
    }

    private void Start(int index)
    {
        var process = store.Start("serve", "--listen", "http://127.0.0.1:0", "--scheduler-interval", schedulerInterval, "--parallel", parallel.ToString(System.Globalization.CultureInfo.InvariantCulture));
        lock (_gate)
        {
            _slots[index].Process = process;
            _starting.RemoveAll(t => t.IsCompleted);
            _starting.Add(WaitServingAsync(index, process));
        }
    }

    private async Task WaitServingAsync(int index, ChildProcess process)
    {
        string line;
        try
        {
            line = await process.WaitForLineAsync(l => l.Contains("serving on ", StringComparison.Ordinal), StartTimeout);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"replica {index} did not start within {StartTimeout.TotalSeconds:0} s: {process.Output.Trim()}");
        }

        var url = new Uri(ServingOn().Match(line).Groups[1].Value.TrimEnd(','));
        await WarmUpAsync(url);
        lock (_gate)
        {
            // Killed again before it said where it listens: the slot already belongs to the next process.
            if (ReferenceEquals(_slots[index].Process, process))
            {
                _slots[index].Url = url;
            }
        }
    }

    /// <summary>
    /// A replica counts as serving once it has answered the requests the run makes (a credential, the metrics): the
    /// first answer of each costs its JIT, which would otherwise be timed as if it were a wake-up.
    /// </summary>
    private async Task WarmUpAsync(Uri url)
    {
        using var http = new HttpClient { BaseAddress = url, Timeout = StartTimeout };
        http.DefaultRequestHeaders.Authorization = new("Bearer", warmUpToken);
        try
        {
            (await http.GetAsync(warmUpPath)).Dispose();
            (await http.GetAsync("/metrics")).Dispose();
        }
        catch (HttpRequestException)
        {
            // Killed meanwhile: the slot already belongs to the next process.
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<ChildProcess> processes;
        lock (_gate)
        {
            processes = _slots.Select(s => s.Process).OfType<ChildProcess>().ToList();
            foreach (var slot in _slots)
            {
                (slot.Process, slot.Url) = (null, null);
            }
        }

        // SIGTERM: a rotation in flight finishes, open long-polls are answered.
        await Task.WhenAll(processes.Select(p => p.DisposeAsync().AsTask()));
    }

    [GeneratedRegex(@"serving on (\S+)")]
    private static partial Regex ServingOn();

    private sealed class Slot
    {
        public ChildProcess? Process { get; set; }

        public Uri? Url { get; set; }
    }
}

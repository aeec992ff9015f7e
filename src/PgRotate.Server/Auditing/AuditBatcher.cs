using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using PgRotate.Audit;
using PgRotate.Store;

namespace PgRotate.Server.Auditing;

/// <summary>
/// Group commit for the audit log: requests hand in their record and wait until the batch holding it is committed, so
/// nothing is answered for a read the log does not hold. One writer takes whatever has queued up meanwhile (at most
/// <see cref="MaxBatch"/>) and appends it in one transaction: under load one commit serves hundreds of reads, and a
/// lone request waits for no one.
/// </summary>
internal sealed partial class AuditBatcher : IAsyncDisposable
{
    /// <summary>The most entries one transaction appends; keeps one commit short while others queue behind it.</summary>
    public const int MaxBatch = 512;

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IAuditLog _log;
    private readonly ILogger<AuditBatcher> _logger;
    private readonly Task _writer;

    public AuditBatcher(ISecretStore store, ILogger<AuditBatcher> logger)
    {
        _log = store.Audit;
        _logger = logger;
        _writer = Task.Run(WriteAsync);
    }

    /// <summary>Completes when <paramref name="record"/> is committed to the log; fails when its batch could not be.</summary>
    /// <remarks>
    /// A caller that gives up (its client went away) stops waiting, but its record stays in the batch: it may still be
    /// logged, which is the safe side for an audit log.
    /// </remarks>
    public Task<AuditEntry> AppendAsync(AuditRecord record, CancellationToken cancellationToken)
    {
        var pending = new Pending(record, new TaskCompletionSource<AuditEntry>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(AuditBatcher), "the server is stopping; nothing more is audited");
        }

        return pending.Committed.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Writes what is queued, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    private async Task WriteAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            try
            {
                // Not cancelled by any one caller: the batch belongs to all of them.
                var entries = await _log.AppendManyAsync([.. batch.Select(p => p.Record)], CancellationToken.None).ConfigureAwait(false);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Committed.TrySetResult(entries[i]);
                }
            }
            catch (Exception e)
            {
                BatchFailed(_logger, batch.Count, Postgres.PostgresErrors.Scrub(e.Message));
                batch.ForEach(p => p.Committed.TrySetException(e));
            }
        }
    }

    [LoggerMessage(LogLevel.Error, "appending {Count} audit entries failed ({Problem}); their requests are answered with an error")]
    private static partial void BatchFailed(ILogger logger, int count, string problem);

    private sealed record Pending(AuditRecord Record, TaskCompletionSource<AuditEntry> Committed);
}

using System.Net;
using Microsoft.Extensions.DependencyInjection;
using PgRotate.Audit;
using PgRotate.Server.Auditing;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Server;

/// <summary>
/// Group commit of the audit log: concurrent requests' entries are appended in shared transactions, each request
/// answered only once its own entry is committed, and the chain stays whole.
/// </summary>
public sealed class AuditBatcherTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Concurrent_appends_are_each_committed_once_in_one_intact_chain()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var batcher = server.App.Services.GetRequiredService<AuditBatcher>();
        var before = await server.Store.Audit.LastSequenceAsync(Ct);

        var appended = await Task.WhenAll(Enumerable.Range(0, 300).Select(i => Task.Run(() =>
            batcher.AppendAsync(new AuditRecord("test.batched", "token:t", Detail: i.ToString(System.Globalization.CultureInfo.InvariantCulture)), Ct), Ct)));

        var entries = await server.Store.Audit.ListAsync(before, 1000, Ct);
        Assert.Equal(Enumerable.Range(1, 300).Select(i => before + i), appended.Select(e => e.Sequence).Order());
        Assert.Equal(appended.Select(e => e.Record.Detail).Order(), entries.Select(e => e.Record.Detail).Order());
        Assert.Equal(300, entries.Count);
        Assert.True((await server.Store.Audit.VerifyAsync(Ct)).Intact);
    }

    [Fact]
    public async Task Every_credential_read_answered_200_is_in_the_audit_log()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("read:orders/app");
        var before = await server.Store.Audit.LastSequenceAsync(Ct);

        var answers = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => server.GetAsync("/v1/secrets/orders/app", token)));
        // Read right after the last answer: nothing may still be on its way to the log.
        var reads = (await server.Store.Audit.ListAsync(before, 1000, Ct)).Where(e => e.Record.Action == AuditActions.CredentialRead).ToList();

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.Equal(64, reads.Count);
        Assert.All(reads, e => Assert.StartsWith("token:", e.Record.Actor, StringComparison.Ordinal));
        Assert.True((await server.Store.Audit.VerifyAsync(Ct)).Intact);
        foreach (var answer in answers)
        {
            answer.Dispose();
        }
    }
}

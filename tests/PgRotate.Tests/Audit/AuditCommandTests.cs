using System.Text;
using System.Text.Json;
using PgRotate.Cli;
using PgRotate.Tests.Store;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Audit;

/// <summary>
/// <c>pgrotate audit verify|tail</c>, and the entries the CLI and the core write: a credential read by <c>get</c> (never
/// the value), each rotation's outcome.
/// </summary>
public sealed class AuditCommandTests(PostgresFixture postgres)
{
    private const string Secret = "orders/app";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Get_and_rotate_are_recorded_with_actor_secret_and_version_but_never_the_password()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"))).Ok();
        (await sandbox.RunAsync("rotate", Secret)).Ok();
        var password = JsonDocument.Parse((await sandbox.RunAsync("get", Secret, "--format", "json")).Ok()).RootElement.GetProperty("password").GetString()!;

        var tail = (await sandbox.RunAsync("audit", "tail", "--json")).Ok();

        var entries = JsonDocument.Parse(tail).RootElement.EnumerateArray().ToList();
        var rotated = Assert.Single(entries, e => e.GetProperty("action").GetString() == "rotation.finished");
        var read = Assert.Single(entries, e => e.GetProperty("action").GetString() == "credential.read");
        Assert.Equal((Secret, 2), (rotated.GetProperty("secret").GetString(), rotated.GetProperty("version").GetInt32()));
        Assert.Equal((Secret, 2), (read.GetProperty("secret").GetString(), read.GetProperty("version").GetInt32()));
        Assert.Equal(CliContext.Actor, read.GetProperty("actor").GetString());
        Assert.True(read.GetProperty("sequence").GetInt64() > rotated.GetProperty("sequence").GetInt64());
        Assert.DoesNotContain(password, tail, StringComparison.Ordinal);
        Assert.DoesNotContain(password, await sandbox.ScalarAsync<string>("SELECT group_concat(coalesce(detail, '') || coalesce(actor, ''), ' ') FROM audit"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_rotation_is_recorded_as_failed_with_its_error_code()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"), "--grace", "1h")).Ok();
        (await sandbox.RunAsync("rotate", Secret)).Ok();
        (await sandbox.RunAsync("rotate", Secret)).FailsWith(12);

        var tail = (await sandbox.RunAsync("audit", "tail", "-n", "1")).Ok();

        Assert.Contains("rotation.failed", tail, StringComparison.Ordinal);
        Assert.Contains($"secret={Secret}", tail, StringComparison.Ordinal);
        Assert.Contains("incompatible_state", tail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_passes_on_an_intact_log_and_exits_6_naming_the_first_edited_entry()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"))).Ok();
        for (var i = 0; i < 3; i++)
        {
            (await sandbox.RunAsync("get", Secret)).Ok();
        }

        Assert.Contains("audit log intact: 6 entries", (await sandbox.RunAsync("audit", "verify")).Ok(), StringComparison.Ordinal);

        await sandbox.ExecuteAsync("DROP TRIGGER audit_no_update; UPDATE audit SET actor = 'cli:someone-else' WHERE sequence = 2");

        var line = (await sandbox.RunAsync("audit", "verify")).FailsWith(6);
        Assert.Contains("damaged at entry 2", line, StringComparison.Ordinal);
        Assert.Contains("edited", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tail_shows_only_the_last_n_entries_oldest_first()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"))).Ok();
        for (var i = 0; i < 5; i++)
        {
            (await sandbox.RunAsync("get", Secret)).Ok();
        }

        var lines = (await sandbox.RunAsync("audit", "tail", "-n", "2")).Ok().Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(["7", "8"], lines.Select(l => l.Split("  ")[0]));
        Assert.Equal(2, (await sandbox.RunAsync("audit", "tail", "-n", "x")).ExitCode);
    }

    [Fact]
    public async Task Tail_follow_prints_entries_appended_after_it_started_until_cancelled()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"))).Ok();
        (await sandbox.RunAsync("get", Secret)).Ok();
        using var output = new LineSignallingWriter();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        using var error = new StringWriter();
        var host = new CliHost(output, error, new StringReader(""), name => sandbox.Environment.GetValueOrDefault(name), sandbox.Directory, sandbox.Time);
        var following = CliApp.RunAsync(["audit", "tail", "-f", "--json"], host, stop.Token);
        var first = output.NextLineAsync(Ct);
        Assert.True(await Task.WhenAny(first, following) == first, $"tail -f ended before printing: {error}");
        var firstLine = await first;

        (await sandbox.RunAsync("get", Secret, "--stage", "current")).Ok();
        var appended = await output.NextLineAsync(Ct);
        await stop.CancelAsync();

        Assert.Equal(1, JsonDocument.Parse(firstLine).RootElement.GetProperty("sequence").GetInt64());
        Assert.Equal(2, JsonDocument.Parse(appended).RootElement.GetProperty("sequence").GetInt64());
        Assert.Equal(0, await following);
    }

    /// <summary>A writer whose complete lines can be awaited one by one, as a reader of a followed log takes them.</summary>
    private sealed class LineSignallingWriter : TextWriter
    {
        private readonly System.Threading.Channels.Channel<string> _lines = System.Threading.Channels.Channel.CreateUnbounded<string>();
        private readonly StringBuilder _partial = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_partial)
            {
                if (value == '\n')
                {
                    _lines.Writer.TryWrite(_partial.ToString());
                    _partial.Clear();
                }
                else
                {
                    _partial.Append(value);
                }
            }
        }

        public async Task<string> NextLineAsync(CancellationToken cancellationToken) => await _lines.Reader.ReadAsync(cancellationToken);
    }
}

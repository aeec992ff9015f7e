using PgRotate.Cli;
using PgRotate.Cli.Commands.Agent;
using PgRotate.Errors;

namespace PgRotate.Tests.Agent;

/// <summary>What the agent refuses at start, before it writes anything: paths it could not write, outputs that clash.</summary>
public sealed class AgentOutputCheckTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pgrotate-agent-").FullName;
    private readonly CliHost _host;

    public AgentOutputCheckTests() => _host = new CliHost(TextWriter.Null, TextWriter.Null, TextReader.Null, _ => null, _folder, TimeProvider.System);

    [Fact]
    public void A_missing_folder_a_folder_and_an_unwritable_folder_are_refused()
    {
        Assert.Contains("does not exist", Refused(() => AtomicFile.EnsureWritable(Path.Combine(_folder, "missing", "pg_service.conf"))));
        Assert.Contains("is a folder", Refused(() => AtomicFile.EnsureWritable(_folder)));
        // /proc takes no new files, not even from root.
        Assert.Contains("not writable", Refused(() => AtomicFile.EnsureWritable("/proc/pg_service.conf")));
        Assert.Empty(Directory.GetFileSystemEntries(_folder));
    }

    [Fact]
    public void A_writable_path_is_accepted_and_the_check_leaves_nothing_behind()
    {
        AtomicFile.EnsureWritable(Path.Combine(_folder, "pg_service.conf"));
        Assert.Empty(Directory.GetFileSystemEntries(_folder));
    }

    [Fact]
    public async Task Two_outputs_may_share_a_file_only_as_service_pgpass_or_pgbouncer()
    {
        var path = Path.Combine(_folder, "out");
        var service = await Parse($"a/app:service:{path}");
        var otherService = await Parse($"b/app:service:{path}");
        Assert.Single(RenderedFile.Group([service, otherService]));

        var pgpass = await Parse($"b/app:pgpass:{path}");
        var (env, otherEnv) = (await Parse($"a/app:env:{path}"), await Parse($"b/app:env:{path}"));
        var again = await Parse($"a/app:service:{path}");
        Assert.Contains("share a file", Refused(() => RenderedFile.Group([service, pgpass])));
        Assert.Contains("share a file", Refused(() => RenderedFile.Group([env, otherEnv])));
        Assert.Contains("same secret twice", Refused(() => RenderedFile.Group([service, again])));
    }

    [Theory]
    [InlineData("orders/app:service")]
    [InlineData("orders/app::/tmp/x")]
    [InlineData("orders/app:yaml:/tmp/x")]
    [InlineData("../x:service:/tmp/x")]
    public async Task A_malformed_render_is_refused(string spec)
    {
        Assert.Equal(ErrorCode.InvalidInput, (await Assert.ThrowsAsync<PgRotateException>(() => Parse(spec))).Code);
    }

    [Fact]
    public async Task A_template_naming_an_unknown_variable_or_not_parsing_is_refused()
    {
        var template = Path.Combine(_folder, "t.liquid");
        await File.WriteAllTextAsync(template, "{{ usernme }}", TestContext.Current.CancellationToken);
        Assert.Contains("'usernme'", (await Assert.ThrowsAsync<PgRotateException>(() => Parse($"a/app:template={template}:{_folder}/out"))).Message);
        await File.WriteAllTextAsync(template, "{% if %}", TestContext.Current.CancellationToken);
        Assert.Contains("not valid Liquid", (await Assert.ThrowsAsync<PgRotateException>(() => Parse($"a/app:template={template}:{_folder}/out"))).Message);
    }

    private Task<AgentOutput> Parse(string spec) => AgentOutput.ParseRenderAsync(spec, _host, TestContext.Current.CancellationToken);

    private static string Refused(Action check) => Assert.Throws<PgRotateException>(check).Message;

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}

using PgRotate.Cli.Commands.Demo;

namespace PgRotate.Tests.Demo;

/// <summary>
/// The demo counts pgbouncer's logins to PostgreSQL per login from pgbouncer's log: a server connection started is a
/// login of the login its "new connection" line names, unless PostgreSQL refused it or a reload dropped it during its
/// login (lines that already name the reloaded login, so they are matched by the connection's address); client lines
/// do not count; a line still being written is counted once it is whole, and each line once.
/// </summary>
public sealed class PgBouncerServerLoginsTests : IDisposable
{
    private readonly string _log = Path.Combine(Directory.CreateTempSubdirectory("pgrotate-test-").FullName, "pgbouncer.log");

    [Fact]
    public async Task Server_logins_are_counted_per_login_tried_without_the_refused_or_dropped_ones_and_each_line_once()
    {
        using var logins = new PgBouncerServerLogins(_log);
        await File.WriteAllTextAsync(_log, string.Join('\n',
            "2026-11-26 20:52:16.080 UTC [1] LOG C-0x55b9e79857c0: demo/app_a@127.0.0.1:40442 login attempt: db=demo user=app_a tls=no",
            "2026-11-26 20:52:16.080 UTC [1] LOG S-0x55b9e798cea0: demo/app_a@127.0.0.1:5499 new connection to server (from 127.0.0.1:56438)",
            "2026-11-26 20:52:17.084 UTC [1] LOG S-0x55b9e798cea0: demo/app_a@127.0.0.1:5499 closing because: server lifetime over (age=1s)",
            "2026-11-26 20:52:17.086 UTC [1] LOG S-0x55b9e798d100: demo/app_a@127.0.0.1:5499 new connection to server (from 127.0.0.1:56464)",
            "2026-11-26 20:52:17.090 UTC [1] LOG S-0x55b9e798d360: demo/app_a@127.0.0.1:5499 new connection to server (from 127.0.0.1:56466)",
            "2026-11-26 20:52:17.093 UTC [1] LOG got SIGHUP, re-reading config",
            "2026-11-26 20:52:17.093 UTC [1] LOG S-0x55b9e798d100: demo/app_b@127.0.0.1:5499 closing because: connect string changed (age=0s)",
            "2026-11-26 20:52:17.095 UTC [1] WARNING server login failed: FATAL password authentication failed for user \"app_a\"",
            "2026-11-26 20:52:17.095 UTC [1] LOG S-0x55b9e798d360: demo/app_b@127.0.0.1:5499 closing because: login failed (age=0s)",
            "2026-11-26 20:52:17.096 UTC [1] LOG S-0x55b9e798d100: demo/app_b@127.0.0.1:5499 new connection to server (from 127.0.0.1:56468)",
            "2026-11-26 20:52:17.100 UTC [1] LOG S-0x55b9e798d5c0: demo/app_b@127.0.0.1:5499 new conn"), TestContext.Current.CancellationToken);

        var (first, firstRefused) = await logins.ReadAsync(TestContext.Current.CancellationToken);

        Assert.Equal(1, first["app_a"]);
        Assert.Equal(1, first["app_b"]);
        Assert.Equal(1, firstRefused);

        await File.AppendAllTextAsync(_log, "ection to server (from 127.0.0.1:56470)\n", TestContext.Current.CancellationToken);
        var (second, secondRefused) = await logins.ReadAsync(TestContext.Current.CancellationToken);

        Assert.Equal(1, second["app_a"]);
        Assert.Equal(2, second["app_b"]);
        Assert.Equal(1, secondRefused);
        Assert.Equal("app_b", logins.LastLogin);
    }

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_log)!, recursive: true);
}

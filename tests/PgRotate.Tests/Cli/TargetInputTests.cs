using PgRotate.Tests.Support;

namespace PgRotate.Tests.Cli;

/// <summary>What a careless operator types into 'target add': caught before anything is stored, or at least said.</summary>
public sealed class TargetInputTests(PostgresFixture postgres)
{
    private const int Usage = 2;

    [Fact]
    public async Task A_password_in_the_connection_string_works_but_is_warned_about_without_repeating_it()
    {
        using var sandbox = new CliSandbox(postgres);
        (await sandbox.RunAsync("init")).Ok();
        var cluster = postgres.Cluster;
        var password = cluster.SuperuserPassword.Reveal();

        var run = await sandbox.RunAsync("target", "add", "db", "--conn",
            $"Host={cluster.Host};Port={cluster.Port};Database=postgres;Username=postgres;Password={password}");

        run.Ok();
        var warning = Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("pgrotate: warning: the admin password was given in --conn", warning);
        Assert.Contains("--password-stdin", warning);
        Assert.DoesNotContain(password, run.Error + run.Out);
    }

    [Fact]
    public async Task A_port_outside_the_tcp_range_is_refused_before_connecting_and_nothing_is_stored()
    {
        using var sandbox = new CliSandbox(postgres);
        (await sandbox.RunAsync("init")).Ok();

        var line = (await sandbox.RunWithInputAsync("pw\n", "target", "add", "db", "--conn",
            "Host=db.example;Port=99999999;Database=app;Username=rotator", "--password-stdin")).FailsWith(Usage);

        Assert.Contains("port 99999999, outside 1-65535", line);
        Assert.Contains("no targets", (await sandbox.RunAsync("target", "list")).Ok());
    }
}

using PgRotate.Tests.Support;

namespace PgRotate.Tests.Agent;

/// <summary>
/// What the agent writes for each format: the same text as 'pgrotate get --format', mode 0600, and a libpq client
/// (psql) logs in with the file as its only source of the credential.
/// </summary>
public sealed class AgentRenderingTests(PostgresFixture postgres)
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public async Task A_service_file_is_written_0600_as_get_prints_it_and_psql_logs_in_with_it()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var setup = new AgentSetup(sandbox);
        var secret = await setup.AddSecretAsync();
        var path = setup.PathOf("pg_service.conf");
        var credential = await setup.CurrentAsync(secret);
        await setup.SendAsync(credential);

        await setup.Runner([await setup.RenderAsync($"{secret}:service:{path}")]).RunAsync(once: true, TestContext.Current.CancellationToken);

        Assert.Equal(OwnerOnly, File.GetUnixFileMode(path));
        Assert.Equal((await sandbox.RunAsync("get", secret, "--format", "service")).Ok(), await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
        Assert.Equal(credential.Username, await LibpqClient.SessionUserAsync(new Dictionary<string, string>
        {
            ["PGSERVICEFILE"] = path,
            ["PGSERVICE"] = secret.Replace('/', '_'),
        }));
        Assert.Contains(setup.Log.Lines, l => l == $"rendered {path}: {secret} version {credential.Version}, login {credential.Username}");
        Assert.DoesNotContain(credential.Password, setup.Log.ToString());
    }

    [Theory]
    [InlineData("pgpass")]
    [InlineData("env")]
    [InlineData("json")]
    [InlineData("conn")]
    public async Task Each_format_is_written_0600_exactly_as_get_prints_it(string format)
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var setup = new AgentSetup(sandbox);
        var secret = await setup.AddSecretAsync();
        var path = setup.PathOf("out." + format);
        await setup.SendAsync(await setup.CurrentAsync(secret));

        await setup.Runner([await setup.RenderAsync($"{secret}:{format}:{path}")]).RunAsync(once: true, TestContext.Current.CancellationToken);

        Assert.Equal(OwnerOnly, File.GetUnixFileMode(path));
        Assert.Equal((await sandbox.RunAsync("get", secret, "--format", format)).Ok(), await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Psql_logs_in_with_the_rendered_pgpass_and_env_files()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var setup = new AgentSetup(sandbox);
        var secret = await setup.AddSecretAsync();
        var (pgpass, env) = (setup.PathOf("pgpass"), setup.PathOf("db.env"));
        var credential = await setup.CurrentAsync(secret);
        await setup.SendAsync(credential);

        await setup.Runner([await setup.RenderAsync($"{secret}:pgpass:{pgpass}"), await setup.RenderAsync($"{secret}:env:{env}")])
            .RunAsync(once: true, TestContext.Current.CancellationToken);

        var cluster = postgres.Cluster;
        Assert.Equal(credential.Username, await LibpqClient.SessionUserAsync(new Dictionary<string, string> { ["PGPASSFILE"] = pgpass },
            "-h", cluster.Host, "-p", cluster.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", credential.Username, "-d", credential.Database, "-w"));
        // The env file as a start script uses it: sourced with set -a, then the client started.
        var shell = await LibpqClient.RunAsync("sh", ["-c", $"set -a; . '{env}'; set +a; exec psql -X -A -t -w -c 'SELECT session_user'"], new Dictionary<string, string>());
        Assert.True(shell.ExitCode == 0, shell.Error);
        Assert.Equal(credential.Username, shell.Out.Trim());
    }

    [Fact]
    public async Task Two_secrets_rendered_to_one_service_file_are_both_in_it_and_both_log_in()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var setup = new AgentSetup(sandbox);
        var (first, second) = (await setup.AddSecretAsync(), await setup.AddSecretAsync());
        var path = setup.PathOf("pg_service.conf");
        var (one, two) = (await setup.CurrentAsync(first), await setup.CurrentAsync(second));
        await setup.SendAsync(one);
        await setup.SendAsync(two);

        await setup.Runner([await setup.RenderAsync($"{first}:service:{path}"), await setup.RenderAsync($"{second}:service:{path}")])
            .RunAsync(once: true, TestContext.Current.CancellationToken);

        Assert.Equal((await sandbox.RunAsync("get", first, "--format", "service")).Ok() + (await sandbox.RunAsync("get", second, "--format", "service")).Ok(),
            await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
        foreach (var credential in new[] { one, two })
        {
            Assert.Equal(credential.Username, await LibpqClient.SessionUserAsync(new Dictionary<string, string>
            {
                ["PGSERVICEFILE"] = path,
                ["PGSERVICE"] = credential.Name.Replace('/', '_'),
            }));
        }
    }

    [Fact]
    public async Task A_template_gets_the_credential_variables_unencoded()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var setup = new AgentSetup(sandbox);
        var secret = await setup.AddSecretAsync();
        var template = setup.PathOf("app.liquid");
        await File.WriteAllTextAsync(template, "user={{ username }} pass={{ password }} at={{ host }}:{{ port }}/{{ database }} v{{ version }}{% if sslmode %} ssl={{ sslmode }}{% endif %}\n{{ conn }}\n",
            TestContext.Current.CancellationToken);
        var path = setup.PathOf("app.conf");
        var credential = await setup.CurrentAsync(secret);
        // A password with characters an HTML encoder would change must be written as it is.
        credential = credential with { Password = "a&b<c>'d\"" };
        await setup.SendAsync(credential);

        await setup.Runner([await setup.RenderAsync($"{secret}:template={template}:{path}")]).RunAsync(once: true, TestContext.Current.CancellationToken);

        var conn = new Npgsql.NpgsqlConnectionStringBuilder
        {
            Host = credential.Host, Port = credential.Port, Database = credential.Database, Username = credential.Username, Password = credential.Password,
        };
        Assert.Equal(
            $"user={credential.Username} pass=a&b<c>'d\" at={credential.Host}:{credential.Port}/{credential.Database} v{credential.Version}\n{conn.ConnectionString}\n",
            await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(path));
    }
}

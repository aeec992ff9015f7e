using System.CommandLine;
using System.Runtime.InteropServices;
using PgRotate.Client;
using PgRotate.Contracts;
using PgRotate.Errors;
using PgRotate.Scheduling;

namespace PgRotate.Cli.Commands.Agent;

/// <summary>
/// <c>pgrotate agent</c>: keeps credential files (pg_service.conf sections, .pgpass lines, env files, JSON, templates,
/// pgbouncer's databases) current through the server's API, for every client that is not .NET.
/// </summary>
public static class AgentCommand
{
    public static Command Create(CommandFactory commands)
    {
        var server = new Option<string?>("--server") { Description = "The pgrotate server's URL, e.g. https://pgrotate.internal:8443" };
        var tokenFile = new Option<string?>("--token-file") { Description = $"A file holding the API token (else ${ExecHook.TokenVariable}); the token needs read on the secrets" };
        var caCert = new Option<string?>("--ca-cert") { Description = "A PEM file of trust roots for the server's certificate (a private CA)" };
        var insecureHttp = new Option<bool>("--insecure-http") { Description = "Allow plain http:// to another machine (only behind a TLS proxy on this one)" };
        var render = new Option<string[]>("--render")
        {
            Description = $"SECRET:FORMAT:FILE, repeatable; FORMAT is {AgentOutput.Formats} (Liquid). Several secrets' service or pgpass outputs to one FILE are written as one file",
        };
        var pgBouncerDatabases = new Option<string[]>("--pgbouncer-databases")
        {
            Description = "SECRET:ALIAS:FILE, repeatable: a [databases] file for pgbouncer's %include with 'ALIAS = host=… user=<current login> password=…'",
        };
        var pgBouncerPidFile = new Option<string?>("--pgbouncer-pidfile") { Description = "pgbouncer's pid file: it gets SIGHUP (reload) after its databases file changed" };
        var exec = new Option<string?>("--exec") { Description = "A command run through /bin/sh -c after each change was written; PGROTATE_SECRET, PGROTATE_VERSION and PGROTATE_USERNAME in its environment, never the password" };
        var once = new Option<bool>("--once") { Description = "Render the current credentials and exit (init containers, scripts); with --lease the lease is NOT revoked: it ends at its expiry" };
        var lease = new Option<bool>("--lease")
        {
            Description = "For dynamic secrets: take a lease of its own (a login nobody else uses) instead of reading a shared credential; renewed at about 2/3 of its TTL, "
                + "replaced by a fresh lease before its maximum TTL (new file, --exec, then the old lease revoked after --lease-grace), revoked when the agent stops",
        };
        var leaseTtl = new Option<string?>("--lease-ttl") { Description = "Each lease's TTL, e.g. 1h (default: the secret's --default-ttl; at most its --max-ttl)" };
        var leaseGrace = new Option<string?>("--lease-grace")
        {
            Description = $"After a move to a fresh lease, how long the old one keeps working (clients that read the file reconnect) before it is revoked; default {Durations.Format(AgentLeases.DefaultGrace)}, never past its expiry",
        };
        var config = new Option<string?>("--config")
        {
            Description = "A JSON file with the same settings (server, tokenFile, caCert, insecureHttp, render, pgbouncerDatabases, pgbouncerPidfile, exec, lease, leaseTtl, leaseGrace; "
                + "leaseSecrets: only these secrets on a lease); flags add to it",
        };
        return commands.Command("agent",
            "Keep credential files current through the server's API: rewritten (atomically, 0600) the moment a rotation lands; pgbouncer reloaded with the new login; until SIGTERM, or --once",
            async (context, parse, cancellationToken) =>
            {
                var host = context.Host;
                var file = parse.GetValue(config) is { } configPath ? await AgentConfigFile.ReadAsync(host.ResolvePath(configPath), cancellationToken) : AgentConfig.Empty;
                var outputs = new List<AgentOutput>();
                foreach (var spec in (file.Render ?? []).Concat(parse.GetValue(render) ?? []))
                {
                    outputs.Add(await AgentOutput.ParseRenderAsync(spec, host, cancellationToken));
                }

                outputs.AddRange((file.PgbouncerDatabases ?? []).Concat(parse.GetValue(pgBouncerDatabases) ?? []).Select(spec => AgentOutput.ParsePgBouncer(spec, host)));
                if (outputs.Count == 0)
                {
                    throw PgRotateException.InvalidInput("give at least one --render SECRET:FORMAT:FILE or --pgbouncer-databases SECRET:ALIAS:FILE");
                }

                var files = RenderedFile.Group(outputs);
                var pidFile = parse.GetValue(pgBouncerPidFile) ?? file.PgbouncerPidfile;
                var hasPgBouncer = files.Any(f => f.IsPgBouncer);
                if (hasPgBouncer != pidFile is not null)
                {
                    throw PgRotateException.InvalidInput(hasPgBouncer
                        ? "--pgbouncer-databases needs --pgbouncer-pidfile, so that pgbouncer reloads the new login"
                        : "--pgbouncer-pidfile is for --pgbouncer-databases, which is not given");
                }

                foreach (var rendered in files)
                {
                    AtomicFile.EnsureWritable(rendered.Path);
                }

                var options = ClientOptions(parse.GetValue(server) ?? file.Server, parse.GetValue(tokenFile) ?? file.TokenFile, parse.GetValue(caCert) ?? file.CaCert,
                    parse.GetValue(insecureHttp) || file.InsecureHttp == true, host);
                var command = parse.GetValue(exec) ?? file.Exec;
                var secrets = files.SelectMany(f => f.Secrets).ToHashSet(StringComparer.Ordinal);
                var leases = AgentLeases.From(parse.GetValue(lease), parse.GetValue(leaseTtl), parse.GetValue(leaseGrace), file, secrets);
                var runOnce = parse.GetValue(once);

                // SIGTERM (systemd, docker stop) as Ctrl-C: stop watching, leave the files as they are.
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
                {
                    signal.Cancel = true;
                    stop.Cancel();
                });
                // Leases held when the agent stops (SIGTERM or an error) are revoked as this is disposed; --once leaves its leases to expire.
                await using var credentials = await ServerCredentials.StartAsync(options, secrets, leases, runOnce, context.Out, host.Error, host.Time, stop.Token);
                var runner = new AgentRunner(files, credentials.Watch, context.Out, host.Error)
                {
                    Exec = command is null ? null : new ExecHook(command, host.Error),
                    PgBouncer = pidFile is null ? null : new PgBouncerReload(host.ResolvePath(pidFile), host.Error),
                    Superseded = credentials.Superseded,
                };
                try
                {
                    await runner.RunAsync(runOnce, stop.Token);
                    foreach (var issued in credentials.IssuedOnce)
                    {
                        await context.Out.WriteLineAsync(
                            $"lease {issued.LeaseId} of {issued.Secret} (login {issued.Username}) is left to its expiry at {issued.ExpiresAt:u} (--once does not revoke it; 'pgrotate lease revoke {issued.LeaseId}' ends it sooner)");
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    await context.Out.WriteLineAsync(leases.Secrets.Count == 0
                        ? "stopped; the files written last stay in place"
                        : "stopped; the files written last stay in place, and the agent's leases are revoked now (their logins stop working)");
                }

                return ExitCodes.Ok;
            }, server, tokenFile, caCert, insecureHttp, render, pgBouncerDatabases, pgBouncerPidFile, exec, once, lease, leaseTtl, leaseGrace, config);
    }

    /// <summary>Where the server is and how to authenticate; the token itself only from a file or the environment, never an argument.</summary>
    private static PgRotateClientOptions ClientOptions(string? server, string? tokenFile, string? caCert, bool insecureHttp, CliHost host)
    {
        if (server is null)
        {
            throw PgRotateException.InvalidInput("give --server URL (the pgrotate server the agent reads credentials from)");
        }

        if (!Uri.TryCreate(server, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            throw PgRotateException.InvalidInput($"--server {Postgres.Sql.Printable(server)} is not an http:// or https:// URL");
        }

        var token = tokenFile is null ? host.Environment(ExecHook.TokenVariable) : null;
        if (tokenFile is null && string.IsNullOrWhiteSpace(token))
        {
            throw PgRotateException.InvalidInput($"give --token-file FILE or set {ExecHook.TokenVariable}");
        }

        if (tokenFile is not null && !File.Exists(host.ResolvePath(tokenFile)))
        {
            throw PgRotateException.InvalidInput($"the token file {tokenFile} does not exist");
        }

        return new PgRotateClientOptions
        {
            ServerUrl = url,
            Token = token,
            TokenFile = tokenFile is null ? null : host.ResolvePath(tokenFile),
            CaCertificateFile = caCert is null ? null : host.ResolvePath(caCert),
            AllowInsecureHttp = insecureHttp,
        };
    }
}

using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PgRotate.Errors;
using PgRotate.Scheduling;
using PgRotate.Server;
using PgRotate.Server.Hosting;
using PgRotate.Server.VaultCompatibility;

namespace PgRotate.Cli.Commands;

/// <summary><c>pgrotate serve [--listen URL] [--tls-cert F --tls-key F] [--insecure] [--vault-mount M | --no-vault]</c>: the HTTP API and the scheduler.</summary>
public static class ServeCommand
{
    public static Command Create(CommandFactory commands)
    {
        var listen = new Option<string?>("--listen") { Description = $"Where to listen: http://127.0.0.1:{ServerSettings.DefaultPort} by default (https://… with --tls-cert); an IP address or localhost, port 0 for any free port" };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate (with its chain) to serve HTTPS with" };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key of --tls-cert" };
        var insecure = new Option<bool>("--insecure") { Description = "Allow plain HTTP on an address other machines can reach (e.g. behind a TLS proxy on this machine); warned about on stderr" };
        var schedulerInterval = new Option<string>("--scheduler-interval") { Description = "How often due rotations are looked for (e.g. 30s, 5m)", DefaultValueFactory = _ => "30s" };
        var parallel = new Option<int>("--parallel")
        {
            Description = "How many scheduled rotations run at once (1 to 64)",
            DefaultValueFactory = _ => 4,
            CustomParser = result => WholeNumbers.Parse(result, "--parallel", 1, 64),
        };
        var vaultMount = new Option<string?>("--vault-mount") { Description = $"Where the Vault-compatible paths are served: /v1/MOUNT/creds/NAME and /v1/MOUNT/static-creds/NAME (default {VaultMount.Default})" };
        var noVault = new Option<bool>("--no-vault") { Description = "Serve no Vault-compatible paths (creds, static-creds, sys/leases, auth/token/lookup-self)" };
        return commands.Command("serve",
            "Serve the HTTP API (credentials to services holding a token, long-polls that answer the moment a rotation lands, rotation on request, history, audit, health, Prometheus metrics) and rotate due secrets on schedule, until stopped (SIGINT/SIGTERM)",
            async (context, parse, cancellationToken) =>
            {
                var (cert, key) = (parse.GetValue(tlsCert), parse.GetValue(tlsKey));
                if (cert is null != key is null)
                {
                    throw PgRotateException.InvalidInput("give --tls-cert and --tls-key together");
                }

                if (parse.GetValue(noVault) && parse.GetValue(vaultMount) is not null)
                {
                    throw PgRotateException.InvalidInput("give --vault-mount or --no-vault, not both");
                }

                var mount = parse.GetValue(noVault) ? null : VaultMount.Parse(parse.GetValue(vaultMount) ?? VaultMount.Default);
                var tls = cert is not null;
                var interval = Durations.Parse(parse.GetValue(schedulerInterval), "--scheduler-interval");
                if (interval < TimeSpan.FromSeconds(1))
                {
                    throw PgRotateException.InvalidInput("--scheduler-interval is at least 1s");
                }

                var settings = new ServerSettings
                {
                    Listen = ListenAddress.Parse(parse.GetValue(listen) ?? $"{(tls ? "https" : "http")}://127.0.0.1:{ServerSettings.DefaultPort}", tls),
                    TlsCertificateFile = cert is null ? null : context.Host.ResolvePath(cert),
                    TlsKeyFile = key is null ? null : context.Host.ResolvePath(key),
                    Insecure = parse.GetValue(insecure),
                    SchedulerInterval = interval,
                    SchedulerParallel = parse.GetValue(parallel),
                    VaultMount = mount,
                };

                // The store is opened once for the process; each request acts through a view naming its token.
                var store = await context.OpenStoreAsync(cancellationToken);
                await using var app = ServerApp.Build(settings, store, context.Connector, context.Time, context.Host.Error, logging => logging
                    .AddSimpleConsole(console => console.SingleLine = true)
                    .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace)
                    .SetMinimumLevel(parse.GetValue<bool>("--verbose") ? LogLevel.Information : LogLevel.Warning));
                await app.StartAsync(cancellationToken);
                await context.Out.WriteLineAsync($"serving on {ServerApp.BoundAddress(app)} (store {store.Location}); stop with Ctrl-C or SIGTERM");
                await context.Out.FlushAsync(cancellationToken);
                try
                {
                    await app.WaitForShutdownAsync(cancellationToken);
                }
                finally
                {
                    // Open long-polls are answered (304) and a rotation in flight is waited for before the store closes.
                    await app.StopAsync(CancellationToken.None);
                }

                return ExitCodes.Ok;
            }, listen, tlsCert, tlsKey, insecure, schedulerInterval, parallel, vaultMount, noVault);
    }
}

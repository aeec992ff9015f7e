using System.Diagnostics;
using System.Net;
using PgRotate.Cli;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Server;

/// <summary>The real <c>pgrotate serve</c> binary: it says where it listens, serves, and on SIGTERM answers its long-polls and exits 0.</summary>
public sealed class ServeProcessTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Serve_announces_its_address_serves_and_exits_0_on_sigterm_after_answering_long_polls()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", RunningServer.Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"))).Ok();
        var token = System.Text.Json.JsonDocument.Parse((await sandbox.RunAsync("token", "create", "--policy", "read:*", "--json")).Ok()).RootElement.GetProperty("token").GetString();
        using var process = Start(sandbox, "serve", "--listen", "http://127.0.0.1:0");
        try
        {
            var announced = await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken);
            var address = new Uri(System.Text.RegularExpressions.Regex.Match(announced ?? "", @"http://127\.0\.0\.1:\d+/").Value);
            using var http = new HttpClient { BaseAddress = address };
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            using var credential = await http.GetAsync("/v1/secrets/orders/app", TestContext.Current.CancellationToken);
            var version = (await RunningServer.JsonAsync(credential)).GetProperty("version").GetInt32();
            var watch = http.GetAsync($"/v1/secrets/orders/app?waitForChange={version}&timeout=5m", TestContext.Current.CancellationToken);
            await WaitForOpenWatchAsync(http);

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
            }

            using var answer = await watch;
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);

            Assert.StartsWith("serving on http://127.0.0.1:", announced);
            Assert.Equal(HttpStatusCode.OK, credential.StatusCode);
            Assert.Equal(HttpStatusCode.NotModified, answer.StatusCode);
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    /// <summary>The open-watch gauge is what says the long-poll is registered; it is read until it says so.</summary>
    private static async Task WaitForOpenWatchAsync(HttpClient http)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(1));
        while (!System.Text.RegularExpressions.Regex.IsMatch(await http.GetStringAsync("/metrics", timeout.Token), @"(?m)^pgrotate_watches_open\{[^}]*\} 1$"))
        {
            await Task.Yield();
        }
    }

    private static Process Start(CliSandbox sandbox, params string[] args)
    {
        var startInfo = CliProcess.StartInfo(sandbox, args);
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("dotnet did not start");
        process.StandardInput.Close();
        _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
        return process;
    }
}

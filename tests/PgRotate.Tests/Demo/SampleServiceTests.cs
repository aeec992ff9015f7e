using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using PgRotate.Tests.Server;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Demo;

/// <summary>
/// samples/OrdersService, built with the solution, run as its own process against a real server: it answers with the
/// current login through the client's data source from dependency injection, and with the other login after a
/// rotation, without a restart.
/// </summary>
public sealed partial class SampleServiceTests(PostgresFixture postgres)
{
    [Fact]
    public async Task The_sample_service_answers_with_the_current_login_and_follows_a_rotation_without_a_restart()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var tokenFile = Path.Combine(server.Sandbox.Directory, "sample.token");
        await File.WriteAllTextAsync(tokenFile, await server.TokenAsync($"read:{RunningServer.Secret}"), TestContext.Current.CancellationToken);
        var rotator = await server.TokenAsync($"rotate:{RunningServer.Secret}");
        using var sample = StartSample(server.Address, tokenFile);
        try
        {
            using var http = new HttpClient { BaseAddress = await ListeningAddressAsync(sample), Timeout = TimeSpan.FromMinutes(1) };
            var before = (await http.GetFromJsonAsync<Identity>("/whoami", TestContext.Current.CancellationToken))!;
            Assert.Matches("_[ab]$", before.Login);
            Assert.NotEqual(before.Login, before.ActsAs);

            (await server.PostAsync($"/v1/secrets/{RunningServer.Secret}/rotate", rotator, "{\"force\": true}")).EnsureSuccessStatusCode();

            // The sample hears of the rotation through the client's long-poll, in its own process: asked again until
            // it answers with the other login (bounded), not after a fixed pause.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            Identity after;
            do
            {
                after = (await http.GetFromJsonAsync<Identity>("/whoami", TestContext.Current.CancellationToken))!;
            }
            while (after.Login == before.Login && DateTime.UtcNow < deadline);

            Assert.NotEqual(before.Login, after.Login);
            Assert.Equal(before.ActsAs, after.ActsAs);
            Assert.False(sample.HasExited);
        }
        finally
        {
            sample.Kill();
        }
    }

    private static Process StartSample(Uri server, string tokenFile)
    {
        // Built by the solution beside the tests, in the same configuration (Release under test.sh).
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var dll = Path.Combine(RepositoryFiles.Root, "samples", "OrdersService", "bin", configuration, "net10.0", "OrdersService.dll");
        Assert.True(File.Exists(dll), $"{dll} is not built: the solution builds samples/OrdersService");
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add(dll);
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["PgRotate__ServerUrl"] = server.ToString();
        start.Environment["PgRotate__TokenFile"] = tokenFile;
        start.Environment["PgRotate__Secret"] = RunningServer.Secret;
        var process = Process.Start(start)!;
        process.StandardInput.Close();
        return process;
    }

    /// <summary>ASP.NET Core logs the address it bound (port 0 resolved) once it listens.</summary>
    private static async Task<Uri> ListeningAddressAsync(Process sample)
    {
        while (await sample.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
        {
            if (Listening().Match(line) is { Success: true } match)
            {
                // The rest of its output is drained so the sample never blocks on a full pipe.
                _ = sample.StandardOutput.ReadToEndAsync(CancellationToken.None);
                _ = sample.StandardError.ReadToEndAsync(CancellationToken.None);
                return new Uri(match.Groups["url"].Value);
            }
        }

        throw new InvalidOperationException($"the sample ended without listening: {await sample.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken)}");
    }

    private sealed record Identity(string Login, string ActsAs);

    [GeneratedRegex(@"Now listening on: (?<url>http://\S+)")]
    private static partial Regex Listening();
}

using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using PgRotate.Crypto;
using PgRotate.Secrets;
using PgRotate.Tests.Leases.Api;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Vault;

/// <summary>
/// The Vault-compatible API driven by hvac, Vault's Python client as Debian ships it (python3-hvac), through
/// <c>Vault/hvac_driver.py</c>: a dynamic credential generated, renewed and revoked, a static one read, each logging in
/// to PostgreSQL (here, with Npgsql, between the driver's steps), and Vault's errors as hvac raises them.
/// </summary>
public sealed class HvacClientTests(PostgresFixture postgres)
{
    private const string Python = "/usr/bin/python3";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Hvac_generates_renews_and_revokes_a_dynamic_credential_and_reads_a_static_one_each_logging_in()
    {
        await using var api = await LeaseApiServer.StartAsync(postgres);
        var token = await api.Server.TokenAsync("lease:leases/*", "read:static/*");
        await using var driver = HvacDriver.Start(api.Server.Address, token, "database", api.Secret, api.StaticSecret);

        var lookup = await driver.StepAsync("lookup_self");
        Assert.True(lookup.GetProperty("authenticated").GetBoolean());
        var tokenData = lookup.GetProperty("response").GetProperty("data");
        Assert.Equal("", tokenData.GetProperty("id").GetString());
        Assert.DoesNotContain(token, lookup.GetRawText());
        Assert.Equal(["lease:leases/*", "read:static/*"], tokenData.GetProperty("policies").EnumerateArray().Select(p => p.GetString()));

        var generated = (await driver.StepAsync("generate")).GetProperty("response");
        Assert.Equal(["request_id", "lease_id", "renewable", "lease_duration", "data", "wrap_info", "warnings", "auth"], generated.EnumerateObject().Select(p => p.Name));
        var leaseId = generated.GetProperty("lease_id").GetString()!;
        Assert.StartsWith($"database/creds/{api.Secret}/lease_", leaseId);
        Assert.True(generated.GetProperty("renewable").GetBoolean());
        Assert.InRange(generated.GetProperty("lease_duration").GetInt64(), 3500, 3600);
        var username = generated.GetProperty("data").GetProperty("username").GetString()!;
        await using (var session = await Logins.OpenAsync(postgres, username, new SecretText(generated.GetProperty("data").GetProperty("password").GetString()!)))
        {
            Assert.Equal(api.Leases.Group, await session.ScalarAsync<string>("SELECT current_user::text"));
        }

        await driver.NextAsync();
        var renewed = (await driver.StepAsync("renew")).GetProperty("response");
        Assert.Equal(leaseId, renewed.GetProperty("lease_id").GetString());
        Assert.InRange(renewed.GetProperty("lease_duration").GetInt64(), 7100, 7200);
        var stored = Assert.Single(await api.Leases.ListAsync("--secret", api.Secret));
        Assert.Equal(stored.ExpiresAt.UtcDateTime, await api.ValidUntilAsync(username), TimeSpan.FromMilliseconds(1));
        Assert.InRange(stored.ExpiresAt - stored.IssuedAt, TimeSpan.FromHours(2) - TimeSpan.FromMinutes(2), TimeSpan.FromHours(2) + TimeSpan.FromMinutes(1));

        await driver.NextAsync();

        Assert.Equal(204, (await driver.StepAsync("revoke")).GetProperty("status").GetInt32());
        Assert.False(await api.Leases.RoleExistsAsync(username));

        await driver.NextAsync();
        var staticData = (await driver.StepAsync("static")).GetProperty("response").GetProperty("data");
        var current = await api.Leases.Cli.CurrentVersionAsync(api.StaticSecret);
        Assert.Equal(current.Username, staticData.GetProperty("username").GetString());
        Assert.Equal(604800, staticData.GetProperty("rotation_period").GetInt64());
        Assert.InRange(staticData.GetProperty("ttl").GetInt64(), 604800 - 600, 604800);
        Assert.Equal(current.ActivatedAt, staticData.GetProperty("last_vault_rotation").GetDateTimeOffset());
        await using (var session = await Logins.OpenAsync(postgres, current.Username, new SecretText(staticData.GetProperty("password").GetString()!)))
        {
            Assert.Equal(current.Username, await session.ScalarAsync<string>("SELECT session_user::text"));
        }

        await driver.NextAsync();
        var forbidden = await driver.StepAsync("forbidden");
        Assert.Equal("Forbidden", forbidden.GetProperty("type").GetString());
        Assert.Equal(["permission denied"], forbidden.GetProperty("errors").EnumerateArray().Select(e => e.GetString()));
        var unknown = await driver.StepAsync("unknown_path");
        Assert.Equal("InvalidPath", unknown.GetProperty("type").GetString());
        Assert.NotEmpty(unknown.GetProperty("errors").EnumerateArray());
        Assert.Equal(0, await driver.ExitCodeAsync());
    }

    /// <summary>The running driver script: reads its JSON lines one step at a time and tells it to go on.</summary>
    private sealed class HvacDriver(Process process) : IAsyncDisposable
    {
        public static HvacDriver Start(Uri server, string token, string mount, string role, string staticName)
        {
            var start = new ProcessStartInfo(Python)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "Vault", "hvac_driver.py"), mount, role, staticName })
            {
                start.ArgumentList.Add(argument);
            }

            // The token goes by environment, as hvac reads it, never on a command line.
            start.Environment["VAULT_ADDR"] = server.ToString().TrimEnd('/');
            start.Environment["VAULT_TOKEN"] = token;
            foreach (var proxy in new[] { "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy" })
            {
                start.Environment.Remove(proxy);
            }

            return new HvacDriver(Process.Start(start) ?? throw new InvalidOperationException("python3 did not start"));
        }

        public async Task<JsonElement> StepAsync(string step)
        {
            var line = await process.StandardOutput.ReadLineAsync(Ct);
            if (line is null)
            {
                await process.WaitForExitAsync(Ct);
                Assert.Fail($"the driver ended before step {step} (exit {process.ExitCode}): {await process.StandardError.ReadToEndAsync(Ct)}");
            }

            var element = JsonDocument.Parse(line).RootElement;
            Assert.Equal(step, element.GetProperty("step").GetString());
            return element;
        }

        public async Task NextAsync()
        {
            await process.StandardInput.WriteLineAsync("next".AsMemory(), Ct);
            await process.StandardInput.FlushAsync(Ct);
        }

        public async Task<int> ExitCodeAsync()
        {
            await process.WaitForExitAsync(Ct);
            return process.ExitCode;
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync(CancellationToken.None);
            }

            process.Dispose();
        }
    }
}

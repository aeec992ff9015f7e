using System.Net;
using System.Net.Http.Headers;
using Npgsql;
using PgRotate.Contracts;

namespace PgRotate.Bench.Replicas;

/// <summary>
/// A service reading credentials throughout the run: from whichever replica is serving, one secret after the other,
/// and logging in to PostgreSQL with each (a fresh SCRAM login, no pool) the moment it has it.
/// </summary>
internal sealed class CredentialReader(Replicas replicas, string token, IReadOnlyList<string> secrets)
{
    public int Reads { get; private set; }

    public int Logins { get; private set; }

    /// <summary>Logins refused or failed with a credential a replica handed out: must stay 0.</summary>
    public int FailedLogins { get; private set; }

    /// <summary>Requests cut because their replica was killed (connection refused or reset): the reader tries another.</summary>
    public int CutByKill { get; private set; }

    /// <summary>Answers other than 200 from a replica that was up: must stay 0.</summary>
    public int ErrorAnswers { get; private set; }

    /// <summary>What went wrong, for the report (never a password).</summary>
    public List<string> Problems { get; } = [];

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var next = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var serving = replicas.Serving();
            if (serving.Count == 0)
            {
                await PauseAsync(cancellationToken);
                continue;
            }

            var secret = secrets[next++ % secrets.Count];
            var (_, url) = serving[Random.Shared.Next(serving.Count)];
            Credential credential;
            try
            {
                using var answer = await http.GetAsync(new Uri(url, $"/v1/secrets/{secret}"), cancellationToken);
                if (answer.StatusCode != HttpStatusCode.OK)
                {
                    ErrorAnswers++;
                    Problems.Add($"GET {secret} from {url}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync(cancellationToken)}");
                    continue;
                }

                credential = PgRotateJson.Deserialize<Credential>(await answer.Content.ReadAsStringAsync(cancellationToken))!;
            }
            catch (HttpRequestException)
            {
                CutByKill++;
                continue;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                CutByKill++;
                continue;
            }
            catch (OperationCanceledException)
            {
                return;
            }

            Reads++;
            await LogInAsync(credential, cancellationToken);
        }
    }

    private async Task LogInAsync(Credential credential, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnectionStringBuilder
        {
            Host = credential.Host,
            Port = credential.Port,
            Database = credential.Database,
            Username = credential.Username,
            Password = credential.Password,
            Pooling = false,
            RequireAuth = "ScramSHA256",
            Timeout = 30,
        };
        try
        {
            await using var session = new NpgsqlConnection(connection.ConnectionString);
            await session.OpenAsync(cancellationToken);
            Logins++;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            FailedLogins++;
            Problems.Add($"login as {credential.Username} ({credential.Name} version {credential.Version}): {e.Message}");
        }
    }

    private static async Task PauseAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Both replicas are restarting; nothing announces the next one from here, so look again shortly.
            await Task.Delay(50, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }
}

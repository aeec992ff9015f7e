using System.Net.Http.Json;
using PgRotate.Contracts;

namespace PgRotate.Bench.Leases;

/// <summary>Issues leases through the real server's <c>POST /v1/leases</c>, as many at a time as it is given clients.</summary>
internal sealed class ApiIssuer(Uri serverUrl, string token, string secret) : IDisposable
{
    private readonly HttpClient _http = CreateClient(serverUrl, token);

    public async Task<LeaseCredential> IssueAsync(TimeSpan ttl, CancellationToken cancellationToken)
    {
        var body = new { secret, ttl = $"{(long)ttl.TotalSeconds}s" };
        using var answer = await _http.PostAsJsonAsync("/v1/leases", body, cancellationToken);
        if (!answer.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST /v1/leases answered {(int)answer.StatusCode}: {await answer.Content.ReadAsStringAsync(cancellationToken)}");
        }

        return (await answer.Content.ReadFromJsonAsync<LeaseCredential>(PgRotateJson.Options, cancellationToken))!;
    }

    /// <summary>The secret's leases that have not ended (GET /v1/leases lists only those unless asked for all).</summary>
    public async Task<int> CountNotRevokedAsync(CancellationToken cancellationToken)
    {
        var open = await _http.GetFromJsonAsync<List<LeaseSummary>>($"/v1/leases?secret={Uri.EscapeDataString(secret)}", PgRotateJson.Options, cancellationToken);
        return open!.Count(l => l.Status != LeaseStatus.Revoked);
    }

    private static HttpClient CreateClient(Uri serverUrl, string token)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = serverUrl };
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return client;
    }

    public void Dispose() => _http.Dispose();
}

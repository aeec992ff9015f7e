using System.Net;
using System.Net.Http.Headers;
using System.Text;
using PgRotate.Cli.Output;
using PgRotate.Contracts;

namespace PgRotate.Cli.Commands.Demo;

/// <summary>The demo's own calls to the in-process server, with the token made for the demo.</summary>
internal sealed class DemoApi(Uri server, string token, string secret) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = server, Timeout = TimeSpan.FromSeconds(60) };

    public Uri Server => server;

    /// <summary>The demo's token, handed to the client data sources as a service would be given its own.</summary>
    public string Token => token;

    /// <summary>Rotates the secret now; <c>force</c>, since back-to-back rotations land inside the previous one's grace.</summary>
    public async Task<RotationResult> RotateAsync(CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Post, $"v1/secrets/{secret}/rotate");
        request.Content = new StringContent(JsonOutput.SerializeLine(new RotateRequest(Force: true)), Encoding.UTF8, "application/json");
        using var response = await _http.SendAsync(request, cancellationToken);
        return await ReadAsync<RotationResult>(response, cancellationToken);
    }

    /// <summary>The current credential.</summary>
    public async Task<Credential> GetAsync(CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, $"v1/secrets/{secret}");
        using var response = await _http.SendAsync(request, cancellationToken);
        return await ReadAsync<Credential>(response, cancellationToken);
    }

    /// <summary>The credential once a version newer than <paramref name="version"/> is current, or null after 30 s without one.</summary>
    public async Task<Credential?> WaitForChangeAsync(int version, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, $"v1/secrets/{secret}?waitForChange={version}&timeout=30s");
        using var response = await _http.SendAsync(request, cancellationToken);
        return response.StatusCode == HttpStatusCode.NotModified ? null : await ReadAsync<Credential>(response, cancellationToken);
    }

    private HttpRequestMessage Request(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var message = PgRotateJson.Deserialize<ErrorResponse>(body)?.Error.Message ?? body;
            throw new HttpRequestException($"the server answered {(int)response.StatusCode}: {message}", null, response.StatusCode);
        }

        return PgRotateJson.Deserialize<T>(body) ?? throw new HttpRequestException("the server answered an empty body");
    }

    public void Dispose() => _http.Dispose();
}

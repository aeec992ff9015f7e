using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using PgRotate.Contracts;

namespace PgRotate.Client;

/// <summary>
/// The pgrotate server's credential API over one <see cref="HttpClient"/> with the bearer token: read a credential,
/// wait for a newer one (the long-poll), rotate, and issue, renew and revoke leases. Failures are <see cref="PgRotateApiException"/>s.
/// </summary>
public sealed class PgRotateApiClient : IDisposable
{
    /// <summary>How long a plain request (and a long-poll beyond its own timeout) may take before it counts as failed.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;
    private readonly TimeProvider _time;

    private PgRotateApiClient(HttpClient http, Uri serverUrl, TimeProvider time)
    {
        _http = http;
        ServerUrl = serverUrl;
        _time = time;
    }

    /// <summary>The server's address, as configured.</summary>
    public Uri ServerUrl { get; }

    /// <summary>
    /// Checks the options (the secret is not needed here), reads the token file and the CA file, and builds the client.
    /// Nothing is sent until a request is made.
    /// </summary>
    public static async Task<PgRotateApiClient> CreateAsync(PgRotateClientOptions options, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid(requireSecret: false);
        var token = options.Token ?? await ReadTokenFileAsync(options.TokenFile!, cancellationToken).ConfigureAwait(false);
        var handler = options.HttpHandler ?? CreateHandler(options.CaCertificateFile);
        // Timeouts are per request (a long-poll needs longer than a read), through the TimeProvider: not HttpClient's own.
        var http = new HttpClient(handler, disposeHandler: options.HttpHandler is null)
        {
            BaseAddress = WithTrailingSlash(options.ServerUrl!),
            Timeout = Timeout.InfiniteTimeSpan,
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new PgRotateApiClient(http, options.ServerUrl!, time ?? TimeProvider.System);
    }

    /// <summary>
    /// The secret's credential at <paramref name="stage"/> (current, or previous while in grace), read past the server's
    /// cache (<c>Cache-Control: no-cache</c>): a client asks this way at start, on its periodic refresh and after a
    /// refused login, when an answer up to the change feed's delay old could be the very credential that was refused.
    /// </summary>
    public async Task<Credential> GetCredentialAsync(string secret, CredentialStage stage = CredentialStage.Current, CancellationToken cancellationToken = default)
    {
        var query = stage switch
        {
            CredentialStage.Current => "",
            CredentialStage.Previous => "?stage=previous",
            _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, "a client reads the current or the previous credential"),
        };
        using var response = await SendAsync(HttpMethod.Get, SecretPath(secret) + query, RequestTimeout, cancellationToken, bypassCache: true).ConfigureAwait(false);
        return await ReadAsync<Credential>(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits up to <paramref name="timeout"/> (whole seconds, 1 s to 5 min) for a current version newer than
    /// <paramref name="knownVersion"/>: the credential the moment one is current, or null when none came in time.
    /// </summary>
    public async Task<Credential?> WaitForChangeAsync(string secret, int knownVersion, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var seconds = (int)Math.Ceiling(timeout.TotalSeconds);
        if (seconds < 1 || timeout > CredentialWatcherSettings.MaxLongPollTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "a long-poll waits from 1 s to 5 min");
        }

        var path = string.Create(CultureInfo.InvariantCulture, $"{SecretPath(secret)}?waitForChange={knownVersion}&timeout={seconds}s");
        using var response = await SendAsync(HttpMethod.Get, path, TimeSpan.FromSeconds(seconds) + RequestTimeout, cancellationToken).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.NotModified ? null : await ReadAsync<Credential>(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Rotates the secret now (the token needs <c>rotate</c> on it), with the options of <c>pgrotate rotate</c>, and
    /// returns what the rotation did.
    /// </summary>
    public async Task<RotationResult> RotateAsync(string secret, RotateRequest? request = null, CancellationToken cancellationToken = default)
    {
        using var body = request is null ? null : new StringContent(PgRotateJson.SerializeLine(request), System.Text.Encoding.UTF8, "application/json");
        // A rotation waits for the target server; it gets the long-poll's budget rather than a plain read's.
        using var response = await SendAsync(HttpMethod.Post, SecretPath(secret) + "/rotate", CredentialWatcherSettings.MaxLongPollTimeout, cancellationToken, body)
            .ConfigureAwait(false);
        return await ReadAsync<RotationResult>(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Issues a lease of the dynamic secret (the token needs <c>lease</c> on it): a login of its own, valid for
    /// <paramref name="ttl"/> (null: the secret's default), renewable up to the lease's maximum.
    /// </summary>
    public async Task<LeaseCredential> IssueLeaseAsync(string secret, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(secret);
        using var body = JsonBody(new LeaseIssueRequest(secret, TtlText(ttl)));
        using var response = await SendAsync(HttpMethod.Post, "v1/leases", RequestTimeout, cancellationToken, body).ConfigureAwait(false);
        return await ReadAsync<LeaseCredential>(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Extends the lease to now + <paramref name="ttl"/> (null: the secret's default), never past its maximum.</summary>
    public async Task<LeaseSummary> RenewLeaseAsync(string leaseId, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        using var body = JsonBody(new LeaseRenewRequest(TtlText(ttl)));
        using var response = await SendAsync(HttpMethod.Post, LeasePath(leaseId) + "/renew", RequestTimeout, cancellationToken, body).ConfigureAwait(false);
        return await ReadAsync<LeaseSummary>(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ends the lease now: the server ends its sessions and drops its login.</summary>
    public async Task<LeaseSummary> RevokeLeaseAsync(string leaseId, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Delete, LeasePath(leaseId), RequestTimeout, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<LeaseSummary>(response, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>Secret names are written as they are, slashes included; each segment is escaped.</summary>
    private static string SecretPath(string secret)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(secret);
        return "v1/secrets/" + string.Join('/', secret.Split('/').Select(Uri.EscapeDataString));
    }

    private static string LeasePath(string leaseId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(leaseId);
        return "v1/leases/" + Uri.EscapeDataString(leaseId);
    }

    /// <summary>The server reads durations as pgrotate's options do: whole seconds are exact enough for a lease.</summary>
    private static string? TtlText(TimeSpan? ttl) =>
        ttl is { } value ? string.Create(CultureInfo.InvariantCulture, $"{Math.Max(1, (long)Math.Ceiling(value.TotalSeconds))}s") : null;

    private static StringContent JsonBody<T>(T value) => new(PgRotateJson.SerializeLine(value), System.Text.Encoding.UTF8, "application/json");

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, TimeSpan budget, CancellationToken cancellationToken, HttpContent? body = null, bool bypassCache = false)
    {
        using var deadline = new CancellationTokenSource(budget, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        using var request = new HttpRequestMessage(method, path) { Content = body };
        if (bypassCache)
        {
            request.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PgRotateApiException($"the pgrotate server at {ServerUrl} did not answer within {budget.TotalSeconds:0.#} s", innerException: e);
        }
        catch (HttpRequestException e)
        {
            throw new PgRotateApiException($"cannot reach the pgrotate server at {ServerUrl}: {e.Message}", innerException: e);
        }

        if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.NotModified)
        {
            return response;
        }

        using (response)
        {
            throw await ErrorAsync(response, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<PgRotateApiException> ErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        ErrorResponse? body = null;
        try
        {
            body = PgRotateJson.Deserialize<ErrorResponse>(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (JsonException)
        {
            // Not pgrotate's error shape (a proxy's page, a bare 400): the status says enough.
        }

        var what = body?.Error is { } error ? $"{error.Code}: {error.Message}" : response.ReasonPhrase ?? "no reason given";
        return new PgRotateApiException($"the pgrotate server at {ServerUrl} answered {status} ({what})", response.StatusCode, body?.Error?.Code);
    }

    private async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                return await JsonSerializer.DeserializeAsync<T>(stream, PgRotateJson.Options, cancellationToken).ConfigureAwait(false)
                    ?? throw new JsonException("null");
            }
        }
        catch (JsonException e)
        {
            // The exception's own text names a path and position in the document, never a value.
            throw new PgRotateApiException($"the pgrotate server at {ServerUrl} answered with something that is not a {typeof(T).Name}: {e.Message}", response.StatusCode);
        }
    }

    private static async Task<string> ReadTokenFileAsync(string path, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PgRotateApiException($"cannot read TokenFile {path}: {e.Message}", e);
        }

        return text.Trim() is { Length: > 0 } token ? token : throw new PgRotateApiException($"TokenFile {path} is empty");
    }

    private static SocketsHttpHandler CreateHandler(string? caCertificateFile)
    {
        var handler = new SocketsHttpHandler
        {
            // Long-lived services: connections are renewed now and then so a moved server address is noticed.
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        if (caCertificateFile is not null)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(caCertificateFile);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => TrustedWithExtraRoots(certificate, chain, errors, roots);
        }

        return handler;
    }

    /// <summary>
    /// The system's verdict when it trusts the certificate; otherwise the chain is built again with the CA file's roots
    /// as the only trust anchors. A wrong host name is never forgiven.
    /// </summary>
    private static bool TrustedWithExtraRoots(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors, X509Certificate2Collection roots)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (errors != SslPolicyErrors.RemoteCertificateChainErrors || certificate is null)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(roots);
        // A private CA rarely publishes revocation lists; the system store's certificates are still checked as usual.
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        using var leaf = new X509Certificate2(certificate);
        return custom.Build(leaf);
    }

    private static Uri WithTrailingSlash(Uri url) => url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");
}

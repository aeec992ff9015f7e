using System.Net;
using Microsoft.Extensions.Options;
using Npgsql;

namespace PgRotate.Client;

/// <summary>
/// Where the pgrotate server is, how to authenticate to it, which secret to follow and how the client behaves. Checked
/// as a whole before anything is contacted (<see cref="Validate"/>): each mistake gets its own message.
/// </summary>
public sealed class PgRotateClientOptions
{
    /// <summary>The server's address, e.g. <c>https://pgrotate.internal:8443</c>.</summary>
    public Uri? ServerUrl { get; set; }

    /// <summary>The API token itself. Prefer <see cref="TokenFile"/>: a token in a file is never on a command line.</summary>
    public string? Token { get; set; }

    /// <summary>A file holding the API token (surrounding whitespace ignored), read once at start.</summary>
    public string? TokenFile { get; set; }

    /// <summary>The secret to follow, e.g. <c>orders/app</c>. Needed by the data source, not by the API client.</summary>
    public string? Secret { get; set; }

    /// <summary>
    /// A PEM file of extra trust roots for the server's TLS certificate (a private CA); the system store is trusted
    /// either way. The certificate is always verified, its host name included.
    /// </summary>
    public string? CaCertificateFile { get; set; }

    /// <summary>
    /// Plain http to a host other than this machine is refused unless this is set: the token and the passwords would
    /// travel readable by anyone on the path. Set it only behind a TLS-terminating proxy on the same machine.
    /// </summary>
    public bool AllowInsecureHttp { get; set; }

    /// <summary>How long one long-poll waits for a rotation before asking again (from 1 s to 5 min, the server's bound).</summary>
    public TimeSpan LongPollTimeout { get; set; } = CredentialWatcherSettings.Default.LongPollTimeout;

    /// <summary>How often the credential is fetched in full as well, in case a change was missed.</summary>
    public TimeSpan RefreshInterval { get; set; } = CredentialWatcherSettings.Default.RefreshInterval;

    /// <summary>The longest pause between attempts while the server cannot be reached.</summary>
    public TimeSpan MaxBackoff { get; set; } = CredentialWatcherSettings.Default.MaxBackoff;

    /// <summary>Whether an open refused for its credential (28P01, 28000) fetches a fresh one and is retried once.</summary>
    public bool RetryOnAuthenticationFailure { get; set; } = true;

    /// <summary>
    /// Whether the data source runs on a lease of its own of a dynamic secret (a login nobody else uses, dropped when
    /// the lease ends) instead of the secret's shared credential: the token needs <c>lease</c> on the secret. The lease
    /// is renewed at about 2/3 of its TTL, replaced by a fresh one before its maximum TTL, and revoked on dispose.
    /// </summary>
    public bool UseLease { get; set; }

    /// <summary>The TTL asked for each lease (null: the secret's default TTL); only with <see cref="UseLease"/>.</summary>
    public TimeSpan? LeaseTtl { get; set; }

    /// <summary>The most a login switch may wait for its warm-up: longer would keep clients on the previous login for long.</summary>
    public static readonly TimeSpan MaxLoginWarmUpTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a login switch waits for the new login's connections to open (as many as the old login has out)
    /// before new opens move to it anyway; the previous login keeps working meanwhile. Zero moves them at once, and
    /// each open then logs in itself. From 0 to 30 s.
    /// </summary>
    public TimeSpan LoginWarmUpTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Applied to each inner Npgsql data source builder (pool sizes, timeouts, logging, type mappings).</summary>
    public Action<NpgsqlDataSourceBuilder>? ConfigureDataSource { get; set; }

    /// <summary>The HTTP handler to reach the server with, instead of the client's own (tests, proxies); its owner disposes it, not the client.</summary>
    public HttpMessageHandler? HttpHandler { get; set; }

    /// <summary>The watcher's part of these options.</summary>
    public CredentialWatcherSettings WatcherSettings => new()
    {
        LongPollTimeout = LongPollTimeout,
        RefreshInterval = RefreshInterval,
        MaxBackoff = MaxBackoff,
    };

    /// <summary>
    /// Options for <paramref name="secret"/> as the registration helpers take them (a callback), checked at once so
    /// that a mistake fails while the application starts, not at its first query.
    /// </summary>
    internal static PgRotateClientOptions For(string secret, Action<PgRotateClientOptions> configure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(secret);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new PgRotateClientOptions();
        configure(options);
        options.Secret = secret;
        options.ThrowIfInvalid();
        return options;
    }

    /// <summary>One message per mistake; empty when the options can be used.</summary>
    /// <param name="requireSecret">Whether <see cref="Secret"/> must be set (a data source follows one; the API client does not).</param>
    public IReadOnlyList<string> Validate(bool requireSecret = true)
    {
        var problems = new List<string>();
        ValidateServerUrl(problems);
        ValidateToken(problems);
        if (requireSecret && string.IsNullOrWhiteSpace(Secret))
        {
            problems.Add("Secret is required: the name of the secret to follow, e.g. orders/app");
        }

        if (CaCertificateFile is not null)
        {
            if (ServerUrl is { Scheme: "http" })
            {
                problems.Add("CaCertificateFile is for an https ServerUrl; this one is plain http");
            }
            else if (!File.Exists(CaCertificateFile))
            {
                problems.Add($"CaCertificateFile {CaCertificateFile} does not exist");
            }
        }

        if (LeaseTtl is { } leaseTtl)
        {
            if (!UseLease)
            {
                problems.Add("LeaseTtl is for a data source on a lease: set UseLease too");
            }
            else if (leaseTtl < TimeSpan.FromSeconds(1))
            {
                problems.Add($"LeaseTtl must be at least 1 s, not {leaseTtl}");
            }
        }

        if (LoginWarmUpTimeout < TimeSpan.Zero || LoginWarmUpTimeout > MaxLoginWarmUpTimeout)
        {
            problems.Add($"LoginWarmUpTimeout must be from 0 to 30 s, not {LoginWarmUpTimeout}");
        }

        problems.AddRange(WatcherSettings.Validate());
        return problems;
    }

    /// <summary>Throws <see cref="OptionsValidationException"/> listing every mistake, when there is one.</summary>
    public void ThrowIfInvalid(bool requireSecret = true)
    {
        var problems = Validate(requireSecret);
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(PgRotateClientOptions), problems);
        }
    }

    private void ValidateServerUrl(List<string> problems)
    {
        if (ServerUrl is null)
        {
            problems.Add("ServerUrl is required: the pgrotate server's address, e.g. https://pgrotate.internal:8443");
            return;
        }

        if (!ServerUrl.IsAbsoluteUri || ServerUrl.Scheme is not ("http" or "https"))
        {
            problems.Add($"ServerUrl must be an absolute http:// or https:// address, not {ServerUrl.OriginalString}");
            return;
        }

        if (ServerUrl.UserInfo.Length > 0)
        {
            problems.Add("ServerUrl must not carry a user name or password: give the token as Token or TokenFile");
        }

        if (ServerUrl.Query.Length > 0 || ServerUrl.Fragment.Length > 0)
        {
            problems.Add($"ServerUrl must not have a query or fragment: {ServerUrl.GetLeftPart(UriPartial.Path)} is enough");
        }

        if (ServerUrl.Scheme == "http" && !AllowInsecureHttp && !IsLoopback(ServerUrl))
        {
            problems.Add($"ServerUrl {ServerUrl.GetLeftPart(UriPartial.Authority)} is plain http to another machine: the token and passwords would travel " +
                "in clear; use https, or set AllowInsecureHttp only behind a TLS proxy on this machine");
        }
    }

    private void ValidateToken(List<string> problems)
    {
        if (Token is not null && TokenFile is not null)
        {
            problems.Add("give Token or TokenFile, not both");
        }
        else if (Token is null && TokenFile is null)
        {
            problems.Add("a token is required: TokenFile (a file holding it) or Token");
        }
        else if (Token is not null && string.IsNullOrWhiteSpace(Token))
        {
            problems.Add("Token is empty");
        }
        else if (TokenFile is not null && !File.Exists(TokenFile))
        {
            problems.Add($"TokenFile {TokenFile} does not exist");
        }
    }

    /// <summary>This machine: <c>localhost</c> or a loopback address (127.0.0.0/8, ::1).</summary>
    internal static bool IsLoopback(Uri url) =>
        url.IsLoopback || (IPAddress.TryParse(url.IdnHost, out var address) && IPAddress.IsLoopback(address));
}

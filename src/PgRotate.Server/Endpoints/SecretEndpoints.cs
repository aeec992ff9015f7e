using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Microsoft.Net.Http.Headers;
using PgRotate.Access;
using PgRotate.Audit;
using PgRotate.Contracts;
using PgRotate.Errors;
using PgRotate.Rotation;
using PgRotate.Scheduling;
using PgRotate.Secrets;
using PgRotate.Server.Auditing;
using PgRotate.Server.Auth;
using PgRotate.Server.Caching;
using PgRotate.Server.ErrorHandling;
using PgRotate.Server.Hosting;
using PgRotate.Server.Metrics;
using PgRotate.Server.Scheduling;
using PgRotate.Server.Watching;
using PgRotate.Wire;

namespace PgRotate.Server.Endpoints;

/// <summary>
/// <c>/v1/secrets</c>: the list (only what the token may read), one credential (with ETag, If-None-Match and the
/// long-poll <c>?waitForChange=</c>), its history, and rotating it. A token that may not read a secret gets the same
/// 403 whether the secret exists or not, so a token cannot probe for names.
/// </summary>
internal static class SecretEndpoints
{
    private const string JsonContentType = "application/json; charset=utf-8";

    public static void Map(IEndpointRouteBuilder app)
    {
        var secrets = app.MapGroup("/v1/secrets").RequireAuthorization().WithTags("secrets");
        secrets.MapGet("/", ListAsync)
            .WithSummary("The secrets this token may read: name, strategy, current version, last and next rotation, status; never a password")
            .Produces<IReadOnlyList<SecretSummary>>();
        secrets.MapGet("/{**path}", GetAsync)
            .WithSummary("GET /v1/secrets/{name}: the credential (?stage=previous for the one in grace). ETag is the version; If-None-Match answers 304. " +
                "?waitForChange=VERSION&timeout=30s waits until a version newer than VERSION is current (304 at the timeout). GET /v1/secrets/{name}/history: what happened to it")
            .Produces<Credential>()
            .Produces<IReadOnlyList<HistoryEvent>>()
            .Produces(StatusCodes.Status304NotModified);
        secrets.MapPost("/{**path}", RotateAsync)
            .WithSummary("POST /v1/secrets/{name}/rotate: rotate now; optional body {grace, revokePrevious, terminate, force} as 'pgrotate rotate'")
            .Accepts<RotateRequest>("application/json")
            .Produces<PgRotate.Contracts.RotationResult>();
    }

    private static async Task<IResult> ListAsync(HttpContext http, TimeProvider time, ServerMetrics metrics, ScheduledRotations scheduler)
    {
        var caller = Caller.Of(http);
        var store = caller.Store;
        var all = await store.ListSecretsAsync(http.RequestAborted).ConfigureAwait(false);
        metrics.NextRotationsAre(all.Select(s => (s.Name, s.NextRotationAt)));
        var now = time.GetUtcNow();
        var scheduled = scheduler.Status().ToDictionary(s => s.Secret, StringComparer.Ordinal);
        var summaries = new List<SecretSummary>();
        foreach (var secret in all.Where(s => caller.Access.Allows(Capability.Read, s.Name)))
        {
            summaries.Add(secret.ToSummary(
                await store.FindVersionAsync(secret.Name, Stage.Current, http.RequestAborted).ConfigureAwait(false),
                await store.FindVersionAsync(secret.Name, Stage.Pending, http.RequestAborted).ConfigureAwait(false) is not null,
                now).WithScheduling(scheduled.GetValueOrDefault(secret.Name)));
        }

        return Results.Json(summaries, PgRotateJson.Options);
    }

    private static async Task<IResult> GetAsync(
        HttpContext http, string path, SecretWatchers watchers, CredentialCache credentials, AuditBatcher audit, ServerMetrics metrics, ServerSettings settings,
        TimeProvider time, IHostApplicationLifetime lifetime)
    {
        var caller = Caller.Of(http);
        var target = SecretPath.Parse(path, SecretPath.History);
        if (!caller.Access.Allows(Capability.Read, target.Name))
        {
            return await DeniedAsync(caller, audit, target.Name, "read", http.RequestAborted).ConfigureAwait(false);
        }

        if (target.Action == SecretPath.History)
        {
            return await HistoryAsync(http, caller, target.Name).ConfigureAwait(false);
        }

        var query = http.Request.Query;
        var stage = query["stage"].ToString() switch
        {
            "" or "current" => Stage.Current,
            "previous" => Stage.Previous,
            var other => throw PgRotateException.InvalidInput($"stage {Postgres.Sql.Printable(other)} is not one a client reads: use current or previous"),
        };
        int? waitFor = query.ContainsKey("waitForChange") ? ParseVersion(query["waitForChange"].ToString()) : null;
        var timeout = query.ContainsKey("timeout") ? ParseTimeout(query["timeout"].ToString(), settings.MaxWait) : TimeSpan.FromSeconds(30);
        if (waitFor is null && query.ContainsKey("timeout"))
        {
            throw PgRotateException.InvalidInput("timeout goes with waitForChange=VERSION");
        }

        var fresh = http.Request.Headers.CacheControl.ToString().Contains("no-cache", StringComparison.OrdinalIgnoreCase);
        var answer = await credentials.GetAsync(target.Name, stage, http.RequestAborted, fresh).ConfigureAwait(false);
        if (waitFor is { } known && (answer.Version ?? 0) <= known)
        {
            answer = await WaitForNewerAsync(http, answer.Secret, stage, known, timeout, watchers, credentials, time, lifetime).ConfigureAwait(false);
            if (answer.Version is not { } newer || newer <= known)
            {
                // Nothing newer within the timeout (or the server is stopping): the caller asks again.
                http.Response.Headers.ETag = ETag(known);
                return Results.StatusCode(StatusCodes.Status304NotModified);
            }
        }

        if (answer.Version is not { } version)
        {
            // A dynamic secret never has a version: say what to do instead (only on this failure path, so reads cost nothing more).
            if ((await caller.Store.GetSecretAsync(answer.Secret, http.RequestAborted).ConfigureAwait(false)).Strategy == Strategy.Dynamic)
            {
                throw new PgRotateException(ErrorCode.IncompatibleState,
                    $"secret {answer.Secret} is dynamic: it has no shared credential; each client takes a lease of its own (POST /v1/leases)");
            }

            throw PgRotateException.NotFound($"secret {answer.Secret} has no {stage.WireName()} version");
        }

        http.Response.Headers.ETag = ETag(version);
        http.Response.Headers.CacheControl = "no-store";
        if (waitFor is null && Matches(http.Request.Headers.IfNoneMatch, version))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        metrics.CredentialRead(stage.WireName());
        // The read is in the log before its answer leaves: the batch holding it is committed first.
        await audit.AppendAsync(new AuditRecord("credential.read", caller.Actor, answer.Secret, version, caller.Address, stage.WireName()), http.RequestAborted)
            .ConfigureAwait(false);
        return Results.Bytes(answer.Json, JsonContentType);
    }

    /// <summary>
    /// Waits until the secret's <paramref name="stage"/> version is newer than <paramref name="known"/>, the timeout
    /// passes, the caller goes away or the server stops. The signal is taken before each read, so a rotation that lands
    /// between the read and the wait still wakes this watcher. Every watcher woken by one rotation reads the same cached
    /// answer: the store is read and the credential serialised once for all of them.
    /// </summary>
    private static async Task<CachedCredential> WaitForNewerAsync(
        HttpContext http, string secret, Stage stage, int known, TimeSpan timeout, SecretWatchers watchers, CredentialCache credentials, TimeProvider time,
        IHostApplicationLifetime lifetime)
    {
        using var open = watchers.Watch();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
        var deadline = Task.Delay(timeout, time, stop.Token);
        var stopped = Task.Delay(Timeout.Infinite, stop.Token);
        try
        {
            while (true)
            {
                var changed = watchers.NextChange(secret);
                var answer = await credentials.GetAsync(secret, stage, http.RequestAborted).ConfigureAwait(false);
                if (answer.Version is { } version && version > known)
                {
                    return answer;
                }

                var first = await Task.WhenAny(changed, deadline, stopped).ConfigureAwait(false);
                if (first != changed)
                {
                    http.RequestAborted.ThrowIfCancellationRequested();
                    return answer;
                }
            }
        }
        finally
        {
            // A watcher woken early releases its timer now rather than at its timeout.
            await stop.CancelAsync().ConfigureAwait(false);
        }
    }

    private static async Task<IResult> HistoryAsync(HttpContext http, Caller caller, string name)
    {
        var limitText = http.Request.Query["limit"].ToString();
        int? limit = limitText.Length == 0 ? null
            : int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n
            : throw PgRotateException.InvalidInput($"limit takes a number of entries from 1 to {int.MaxValue}, not {Postgres.Sql.Printable(limitText)}");
        var secret = await caller.Store.GetSecretAsync(name, http.RequestAborted).ConfigureAwait(false);
        var entries = await caller.Store.ListHistoryAsync(secret.Name, null, limit, http.RequestAborted).ConfigureAwait(false);
        var versions = await caller.Store.ListVersionsAsync(secret.Name, http.RequestAborted).ConfigureAwait(false);
        return Results.Json(entries.Select(e => e.ToContract(versions)).ToList(), PgRotateJson.Options);
    }

    private static async Task<IResult> RotateAsync(HttpContext http, string path, ServerRotations rotations, AuditBatcher audit, IHostApplicationLifetime lifetime)
    {
        var caller = Caller.Of(http);
        var target = SecretPath.Parse(path, SecretPath.Rotate);
        if (target.Action != SecretPath.Rotate)
        {
            return ApiErrors.Result(StatusCodes.Status404NotFound, ApiErrors.NoSuchEndpoint, "POST is for /v1/secrets/{name}/rotate");
        }

        if (!caller.Access.Allows(Capability.Rotate, target.Name))
        {
            return await DeniedAsync(caller, audit, target.Name, "rotate", http.RequestAborted).ConfigureAwait(false);
        }

        var body = await RequestBody.ReadAsync<RotateRequest>(http).ConfigureAwait(false) ?? new RotateRequest();
        var request = new RotationRequest(target.Name, body.Grace is { } g ? Durations.Parse(g, "grace") : null, body.RevokePrevious, body.Terminate, body.Force);
        if (request is { TerminateSessions: true, RevokePrevious: false })
        {
            throw PgRotateException.InvalidInput("terminate ends the sessions of a revoked login: give it with revokePrevious");
        }

        if (request is { RevokePrevious: true, Grace: not null })
        {
            throw PgRotateException.InvalidInput("give grace or revokePrevious, not both");
        }

        // A rotation that has started is not abandoned because its caller hung up: it runs to its end (and a server
        // stopping waits for it); only the end of the process stops it, and then it is resumed by the next rotation.
        var result = await rotations.RotateAsync(caller.Store, request, lifetime.ApplicationStopped).ConfigureAwait(false);
        return Results.Json(result.ToContract(), PgRotateJson.Options);
    }

    /// <summary>The same answer whether or not the secret exists; the refusal itself is audited.</summary>
    internal static async Task<IResult> DeniedAsync(Caller caller, AuditBatcher audit, string secret, string what, CancellationToken cancellationToken)
    {
        await audit.AppendAsync(new AuditRecord("access.denied", caller.Actor, secret, null, caller.Address, what), cancellationToken).ConfigureAwait(false);
        return ApiErrors.ForbiddenFor(caller.Token.Name, $"{what} secret {secret}");
    }

    private static int ParseVersion(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : throw PgRotateException.InvalidInput($"waitForChange takes the version the caller has (a whole number), not {Postgres.Sql.Printable(text)}");

    private static TimeSpan ParseTimeout(string text, TimeSpan max)
    {
        var timeout = Durations.Parse(text, "timeout");
        return timeout > TimeSpan.Zero && timeout <= max
            ? timeout
            : throw PgRotateException.InvalidInput($"timeout {Postgres.Sql.Printable(text)} is out of range: from 1s to {Durations.Format(max)}");
    }

    private static string ETag(int version) => $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    private static bool Matches(Microsoft.Extensions.Primitives.StringValues ifNoneMatch, int version) =>
        EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags)
        && tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Tag.Equals(ETag(version), StringComparison.Ordinal));
}

using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using PgRotate.Access;
using PgRotate.Audit;
using PgRotate.Contracts;
using PgRotate.Errors;
using PgRotate.Scheduling;
using PgRotate.Secrets;
using PgRotate.Server.Auditing;
using PgRotate.Server.Auth;
using PgRotate.Server.Caching;
using PgRotate.Server.Endpoints;
using PgRotate.Server.Metrics;

namespace PgRotate.Server.VaultCompatibility;

/// <summary>
/// The database secrets engine's read paths under the mount: <c>GET /v1/MOUNT/creds/ROLE</c> issues a lease of the
/// dynamic secret ROLE (the rest of the path, '/' included, since secret names have them) and answers it as Vault does;
/// <c>GET /v1/MOUNT/static-creds/NAME</c> answers the current credential of an alternating or single secret as Vault
/// answers a static role. The token needs <c>lease</c> on ROLE, <c>read</c> on NAME.
/// </summary>
internal static class VaultSecretEndpoints
{
    public static void Map(IEndpointRouteBuilder app, string mount)
    {
        var engine = app.MapGroup("/v1/" + mount).RequireAuthorization().WithTags("vault");
        engine.MapGet("/creds/{**role}", (HttpContext http, string role, CallerLeases leases) => CredsAsync(http, mount, role, leases))
            .WithSummary("Vault's database engine: issue a lease of the dynamic secret ROLE; {lease_id, lease_duration, renewable, data: {username, password}}");
        engine.MapGet("/static-creds/{**name}", (HttpContext http, string name, CredentialCache credentials, AuditBatcher audit, ServerMetrics metrics, TimeProvider time) =>
                StaticCredsAsync(http, mount, name, credentials, audit, metrics, time))
            .WithSummary("Vault's database engine: the current credential of an alternating or single secret; data: {username, password, ttl, rotation_period, last_vault_rotation}");
    }

    private static async Task<IResult> CredsAsync(HttpContext http, string mount, string role, CallerLeases leases)
    {
        var issued = await leases.IssueAsync(Caller.Of(http), role, null, http.RequestAborted).ConfigureAwait(false);
        if (issued.Refused)
        {
            return issued.Refusal;
        }

        var (lease, credential) = (issued.Value.Lease, issued.Value.Credential);
        http.Response.Headers.CacheControl = "no-store";
        return VaultJson.Result(new VaultResponse<VaultCredentialData>(
            VaultResponse<VaultCredentialData>.NewRequestId(), VaultLeaseIds.Format(mount, lease), Renewable: true, leases.SecondsUntil(lease.ExpiresAt),
            new VaultCredentialData(credential.Username, credential.Password.Reveal())));
    }

    private static async Task<IResult> StaticCredsAsync(
        HttpContext http, string mount, string name, CredentialCache credentials, AuditBatcher audit, ServerMetrics metrics, TimeProvider time)
    {
        var caller = Caller.Of(http);
        var secretName = SecretName.ParseSecret(name);
        if (!caller.Access.Allows(Capability.Read, secretName))
        {
            return await SecretEndpoints.DeniedAsync(caller, audit, secretName, "read", http.RequestAborted).ConfigureAwait(false);
        }

        var secret = await caller.Store.GetSecretAsync(secretName, http.RequestAborted).ConfigureAwait(false);
        if (secret.Strategy == Strategy.Dynamic)
        {
            throw PgRotateException.InvalidInput($"{secret.Name} is a dynamic secret: each client takes a login of its own from {mount}/creds/{secret.Name}");
        }

        var answer = await credentials.GetAsync(secret.Name, Stage.Current, http.RequestAborted).ConfigureAwait(false);
        var current = answer.Version is null ? null : JsonSerializer.Deserialize<Credential>(answer.Json.Span, PgRotateJson.Options);
        if (current is null)
        {
            throw PgRotateException.NotFound($"secret {secret.Name} has no current version");
        }

        metrics.CredentialRead(Stage.Current.WireName());
        // As for GET /v1/secrets/NAME: the read is in the audit log before its answer leaves.
        await audit.AppendAsync(new AuditRecord("credential.read", caller.Actor, secret.Name, current.Version, caller.Address, Stage.Current.WireName()), http.RequestAborted)
            .ConfigureAwait(false);
        var now = time.GetUtcNow();
        http.Response.Headers.CacheControl = "no-store";
        return VaultJson.Result(new VaultResponse<VaultStaticCredentialData>(
            VaultResponse<VaultStaticCredentialData>.NewRequestId(), "", Renewable: false, 0,
            new VaultStaticCredentialData(
                current.Username, current.Password,
                secret.NextRotationAt is { } next && next > now ? (long)(next - now).TotalSeconds : 0,
                (long)(RotationPeriod(secret.Schedule, now) ?? TimeSpan.Zero).TotalSeconds,
                current.RotatedAt)));
    }

    /// <summary>The time between rotations: a fixed interval as it is; for a cron schedule, the gap between its next two firings.</summary>
    private static TimeSpan? RotationPeriod(Schedule? schedule, DateTimeOffset now)
    {
        if (schedule is null)
        {
            return null;
        }

        if (schedule.Interval is { } interval)
        {
            return interval;
        }

        var first = schedule.NextAfter(now);
        return schedule.NextAfter(first) - first;
    }
}

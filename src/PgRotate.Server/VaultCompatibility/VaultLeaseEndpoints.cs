using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using PgRotate.Errors;
using PgRotate.Leases;
using PgRotate.Scheduling;
using PgRotate.Server.Auth;
using PgRotate.Server.Endpoints;

namespace PgRotate.Server.VaultCompatibility;

/// <summary>
/// Vault's <c>sys/leases</c> for the leases issued under the mount: <c>PUT</c> (or <c>POST</c>)
/// <c>/v1/sys/leases/renew</c> with <c>{"lease_id", "increment"}</c> answers the lease's new duration, capped by the
/// secret's maximum TTL (with a warning, as Vault gives); <c>/v1/sys/leases/revoke</c> with <c>{"lease_id"}</c> ends it
/// (204). Vault also takes the lease id at the end of the path (<c>/v1/sys/leases/renew/LEASE_ID</c>); so does this.
/// </summary>
internal static class VaultLeaseEndpoints
{
    private static readonly string[] Methods = [HttpMethods.Put, HttpMethods.Post];

    /// <summary>The longest increment taken, as for any duration: 10 years (the secret's maximum TTL caps it anyway).</summary>
    private static readonly TimeSpan MaxIncrement = TimeSpan.FromDays(3650);

    public static void Map(IEndpointRouteBuilder app, string mount)
    {
        var leases = app.MapGroup("/v1/sys/leases").RequireAuthorization().WithTags("vault");
        leases.MapMethods("/renew", Methods, (HttpContext http, CallerLeases callers) => RenewAsync(http, mount, null, callers))
            .WithSummary("Vault's lease renewal: body {lease_id, increment (seconds)}; answers {lease_id, renewable, lease_duration}");
        leases.MapMethods("/renew/{**leaseId}", Methods, (HttpContext http, string leaseId, CallerLeases callers) => RenewAsync(http, mount, leaseId, callers));
        leases.MapMethods("/revoke", Methods, (HttpContext http, CallerLeases callers) => RevokeAsync(http, mount, null, callers))
            .WithSummary("Vault's lease revocation: body {lease_id}; 204 once the lease's login is dropped");
        leases.MapMethods("/revoke/{**leaseId}", Methods, (HttpContext http, string leaseId, CallerLeases callers) => RevokeAsync(http, mount, leaseId, callers));
    }

    private static async Task<IResult> RenewAsync(HttpContext http, string mount, string? inPath, CallerLeases leases)
    {
        var body = await ReadAsync(http).ConfigureAwait(false);
        var text = inPath ?? body.LeaseId;
        var id = await LeaseOfMountAsync(http, mount, text, leases).ConfigureAwait(false);
        var renewed = await leases.RenewAsync(Caller.Of(http), id, Increment(body.Increment), http.RequestAborted).ConfigureAwait(false);
        if (renewed.Refused)
        {
            return renewed.Refusal;
        }

        var lease = renewed.Value;
        IReadOnlyList<string>? warnings = lease.ExpiresAt == lease.MaxExpiresAt
            ? [$"TTL is capped at the lease's maximum: it ends at {lease.MaxExpiresAt.ToString("u", CultureInfo.InvariantCulture)} and cannot be renewed past that; take new credentials before then"]
            : null;
        return VaultJson.Result(new VaultResponse<object>(
            VaultResponse<object>.NewRequestId(), VaultLeaseIds.Format(mount, lease), Renewable: true, leases.SecondsUntil(lease.ExpiresAt), null, Warnings: warnings));
    }

    private static async Task<IResult> RevokeAsync(HttpContext http, string mount, string? inPath, CallerLeases leases)
    {
        var body = await ReadAsync(http).ConfigureAwait(false);
        var id = await LeaseOfMountAsync(http, mount, inPath ?? body.LeaseId, leases).ConfigureAwait(false);
        var revoked = await leases.RevokeAsync(Caller.Of(http), id, http.RequestAborted).ConfigureAwait(false);
        return revoked.Refused ? revoked.Refusal : Results.NoContent();
    }

    /// <summary>
    /// pgrotate's id of the lease named by a Vault lease id, once the role in it is checked against the lease's secret (a
    /// lease id with another role is refused as Vault refuses an unknown one).
    /// </summary>
    private static async Task<string> LeaseOfMountAsync(HttpContext http, string mount, string? text, CallerLeases leases)
    {
        var (secret, id) = VaultLeaseIds.Parse(mount, text);
        var found = await leases.FindAsync(Caller.Of(http), id, http.RequestAborted).ConfigureAwait(false);
        if (!found.Refused && found.Value.Secret != secret)
        {
            throw PgRotateException.InvalidInput($"invalid lease ID: lease {id} is not a lease of {Postgres.Sql.Printable(secret)}");
        }

        return id;
    }

    private static async Task<VaultLeaseRequest> ReadAsync(HttpContext http)
    {
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted).ConfigureAwait(false);
        return buffer.Length == 0 ? new VaultLeaseRequest() : JsonSerializer.Deserialize<VaultLeaseRequest>(buffer.ToArray(), VaultJson.Options) ?? new VaultLeaseRequest();
    }

    /// <summary>Vault's increment: whole seconds as a number or a string of digits, or a duration such as <c>"1h"</c>; null or 0 asks for the default TTL.</summary>
    private static TimeSpan? Increment(JsonElement? increment)
    {
        long seconds;
        switch (increment)
        {
            case null or { ValueKind: JsonValueKind.Null }:
                return null;
            case { ValueKind: JsonValueKind.Number } number when number.TryGetInt64(out seconds):
                break;
            case { ValueKind: JsonValueKind.String } text when text.GetString() is { Length: > 0 } value:
                if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out seconds))
                {
                    return Durations.Parse(value, "increment");
                }

                break;
            default:
                throw PgRotateException.InvalidInput("increment is a number of seconds (or a duration such as \"1h\")");
        }

        return seconds < 0 || seconds > MaxIncrement.TotalSeconds
            ? throw PgRotateException.InvalidInput($"increment {seconds.ToString(CultureInfo.InvariantCulture)} is out of range: from 0 to {(long)MaxIncrement.TotalSeconds} seconds")
            : seconds == 0 ? null : TimeSpan.FromSeconds(seconds);
    }
}

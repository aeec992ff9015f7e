using System.Text.Json;
using Microsoft.AspNetCore.Http;
using PgRotate.Contracts;
using PgRotate.Errors;
using PgRotate.Server.ErrorHandling;

namespace PgRotate.Server.VaultCompatibility;

/// <summary>
/// Answers failures on the Vault-compatible paths (<c>/v1/MOUNT/…</c>, <c>/v1/sys/…</c>, <c>/v1/auth/…</c>) the way
/// Vault does, <c>{"errors": ["…"]}</c>, whoever produced them (the endpoint, the token check, the path guard, an
/// unknown path). The rest of the pipeline answers pgrotate's <see cref="ErrorResponse"/>; this middleware holds the
/// (small) answer of a Vault path back and rewrites an error: a missing or refused token and a policy that does not
/// allow are all 403 <c>permission denied</c> as in Vault (whose clients take 403 for "not authenticated"); an unknown
/// role or lease and a lease that can no longer be renewed are 400, as Vault answers them; an unknown path stays 404.
/// </summary>
internal sealed class VaultErrorShape(RequestDelegate next, string mount)
{
    private const string PermissionDenied = "permission denied";

    private readonly string[] _prefixes = ["/v1/" + mount + "/", "/v1/sys/", "/v1/auth/"];

    public async Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        if (!_prefixes.Any(p => path.StartsWith(p, StringComparison.Ordinal)))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var response = context.Response;
        var original = response.Body;
        using var held = new MemoryStream();
        response.Body = held;
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            response.Body = original;
        }

        if (response.StatusCode >= 400)
        {
            var (status, message) = Translate(response.StatusCode, held);
            var body = JsonSerializer.SerializeToUtf8Bytes(new VaultErrors([message]), VaultJson.Options);
            response.StatusCode = status;
            response.ContentType = VaultJson.ContentType;
            response.ContentLength = body.Length;
            response.Headers.WWWAuthenticate = default;
            await original.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        held.Position = 0;
        await held.CopyToAsync(original, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Vault's status and message for one of pgrotate's error answers.</summary>
    private static (int Status, string Message) Translate(int status, MemoryStream held)
    {
        ErrorDetail? error = null;
        try
        {
            error = held.Length == 0 ? null : JsonSerializer.Deserialize<ErrorResponse>(held.ToArray(), PgRotateJson.Options)?.Error;
        }
        catch (JsonException)
        {
        }

        var code = error?.Code ?? "";
        var message = error?.Message ?? "the request failed";
        return code switch
        {
            ApiErrors.Unauthenticated or ApiErrors.Forbidden => (StatusCodes.Status403Forbidden, PermissionDenied),
            _ when code == ErrorCode.NotFound.WireName() || code == ErrorCode.IncompatibleState.WireName() || code == ErrorCode.AlreadyExists.WireName()
                => (StatusCodes.Status400BadRequest, message),
            _ => (status, message),
        };
    }

    /// <summary>Vault's error body.</summary>
    private sealed record VaultErrors(IReadOnlyList<string> Errors);
}

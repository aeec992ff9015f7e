using System.Text.Json;
using Microsoft.AspNetCore.Http;
using PgRotate.Contracts;

namespace PgRotate.Server.Endpoints;

/// <summary>
/// Reads an optional JSON body with the one JSON convention, whatever its declared length (the server's body limit
/// bounds it): no body at all is null; anything else must be exactly the request record, unknown fields refused.
/// </summary>
internal static class RequestBody
{
    public static async Task<T?> ReadAsync<T>(HttpContext http)
        where T : class
    {
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted).ConfigureAwait(false);
        if (buffer.Length == 0)
        {
            return null;
        }

        buffer.Position = 0;
        return await JsonSerializer.DeserializeAsync<T>(buffer, PgRotateJson.Options, http.RequestAborted).ConfigureAwait(false)
            ?? throw new JsonException("null body", null, null, null);
    }
}

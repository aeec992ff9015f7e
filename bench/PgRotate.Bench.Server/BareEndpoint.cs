using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace PgRotate.Bench.Server;

/// <summary>
/// The reference: Kestrel with one minimal-API endpoint on the same path that returns a constant body of the size of a
/// real credential answer, no authentication, no store. Run in its own process, like the server it is compared with.
/// </summary>
internal static class BareEndpoint
{
    public static async Task<int> RunAsync(int bodyLength)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var body = "{\"padding\":\"" + new string('x', Math.Max(0, bodyLength - 14)) + "\"}";
        app.MapGet("/v1/secrets/{**name}", () => Results.Text(body, "application/json"));
        await app.StartAsync();
        Console.WriteLine("listening on " + app.Urls.First());
        await app.WaitForShutdownAsync();
        return 0;
    }
}

using System.Net;

namespace PgRotate.Tests.Client;

/// <summary>
/// An HTTP handler that answers every long-poll at once with 304, as a server or proxy that never reports a change
/// would; other requests reach the server. A client behind it learns of rotations only through its periodic refresh.
/// </summary>
internal sealed class LongPollsAnsweredUnchanged() : DelegatingHandler(new SocketsHttpHandler())
{
    public int LongPolls;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri?.Query.Contains("waitForChange=", StringComparison.Ordinal) == true)
        {
            Interlocked.Increment(ref LongPolls);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotModified) { RequestMessage = request });
        }

        return base.SendAsync(request, cancellationToken);
    }
}

namespace PgRotate.Tests.Client;

/// <summary>
/// An HTTP handler that passes every request to the server except long-polls, which it holds until they are cancelled
/// (a proxy that swallows them): a client behind it hears of a rotation only by asking. What a client sees when a
/// login is refused before the rotation reached it.
/// </summary>
internal sealed class LongPollBlackHole() : DelegatingHandler(new SocketsHttpHandler())
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri?.Query.Contains("waitForChange=", StringComparison.Ordinal) == true)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        return await base.SendAsync(request, cancellationToken);
    }
}

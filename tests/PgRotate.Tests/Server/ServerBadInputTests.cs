using System.Net;
using System.Net.Sockets;
using System.Text;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Server;

/// <summary>Bad requests are refused with a JSON error body and change nothing: the secret keeps its version.</summary>
public sealed class ServerBadInputTests(PostgresFixture postgres)
{
    [Theory]
    [InlineData("{\"grace\": ", "invalid_input")]
    [InlineData("[1, 2]", "invalid_input")]
    [InlineData("{\"revokePrevious\": \"yes\"}", "invalid_input")]
    [InlineData("null", "invalid_input")]
    public async Task A_rotate_body_that_is_not_the_request_json_is_400(string body, string code)
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("rotate:*");
        var version = await server.CurrentVersionAsync();

        using var response = await server.PostAsync("/v1/secrets/orders/app/rotate", token, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(code, await RunningServer.ErrorCodeAsync(response));
        Assert.Equal(version, await server.CurrentVersionAsync());
    }

    [Fact]
    public async Task An_unknown_field_is_refused_rather_than_ignored()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("rotate:*");
        var version = await server.CurrentVersionAsync();

        using var response = await server.PostAsync("/v1/secrets/orders/app/rotate", token, """{"revokePrevous": true}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_input", await RunningServer.ErrorCodeAsync(response));
        Assert.Contains("field", (await RunningServer.JsonAsync(response)).GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(version, await server.CurrentVersionAsync());
    }

    [Fact]
    public async Task An_oversized_body_is_413_with_a_json_error()
    {
        await using var server = await RunningServer.StartAsync(postgres, s => s with { MaxRequestBodyBytes = 1024 });
        var token = await server.TokenAsync("rotate:*");
        var version = await server.CurrentVersionAsync();

        using var response = await server.PostAsync("/v1/secrets/orders/app/rotate", token, $$"""{"grace": "{{new string('1', 4096)}}s"}""");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("payload_too_large", await RunningServer.ErrorCodeAsync(response));
        Assert.Equal(version, await server.CurrentVersionAsync());
    }

    [Theory]
    [InlineData("{\"grace\": \"soon\"}")]
    [InlineData("{\"grace\": \"99999w\"}")]
    [InlineData("{\"grace\": \"10m\", \"revokePrevious\": true}")]
    [InlineData("{\"terminate\": true}")]
    public async Task Invalid_rotation_options_are_400_and_nothing_rotates(string body)
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("rotate:*");
        var version = await server.CurrentVersionAsync();

        using var response = await server.PostAsync("/v1/secrets/orders/app/rotate", token, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_input", await RunningServer.ErrorCodeAsync(response));
        Assert.Equal(version, await server.CurrentVersionAsync());
    }

    [Theory]
    [InlineData("timeout=soon")]
    [InlineData("timeout=0s")]
    [InlineData("timeout=1h")]
    [InlineData("waitForChange=abc")]
    [InlineData("waitForChange=-1")]
    [InlineData("stage=pending")]
    public async Task Invalid_query_values_are_400(string query)
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("read:*");

        using var response = await server.GetAsync($"/v1/secrets/orders/app?{(query.StartsWith("timeout", StringComparison.Ordinal) ? "waitForChange=1&" : "")}{query}", token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_input", await RunningServer.ErrorCodeAsync(response));
        Assert.Equal(0, server.Watchers.Open);
    }

    [Theory]
    [InlineData("/v1/secrets/orders/../orders/app/rotate")]
    [InlineData("/v1/secrets/orders/./app/rotate")]
    [InlineData("/v1/secrets/orders%2Fapp/rotate")]
    [InlineData("/v1/secrets/orders%2fapp/rotate")]
    [InlineData("/v1/secrets/orders/%2E%2E/orders/app/rotate")]
    [InlineData("/v1/secrets/Orders/App/rotate")]
    public async Task Path_tricks_in_names_are_400_with_a_json_error_and_nothing_rotates(string path)
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("rotate:*");
        var version = await server.CurrentVersionAsync();

        var (status, body) = await RawAsync(server, "POST", path, token);

        Assert.Equal(400, status);
        Assert.Contains("\"invalid_input\"", body);
        Assert.Equal(version, await server.CurrentVersionAsync());
    }

    /// <summary>
    /// Kestrel itself refuses a path that decodes to a NUL, before any of pgrotate's code runs, with a bare 400 and a
    /// closed connection: there is no JSON body to be had, and nothing changes.
    /// </summary>
    [Fact]
    public async Task An_encoded_nul_in_a_name_is_refused_with_400_and_nothing_rotates()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("rotate:*");
        var version = await server.CurrentVersionAsync();

        var (status, _) = await RawAsync(server, "POST", "/v1/secrets/orders/app%00/rotate", token);

        Assert.Equal(400, status);
        Assert.Equal(version, await server.CurrentVersionAsync());
    }

    [Fact]
    public async Task An_unknown_path_or_method_is_a_json_error()
    {
        await using var server = await RunningServer.StartAsync(postgres);
        var token = await server.TokenAsync("admin:*");

        using var unknown = await server.GetAsync("/v2/nothing", token);
        using var wrongMethod = await server.SendAsync(HttpMethod.Delete, "/v1/secrets/orders/app", token);
        using var postWithoutAction = await server.PostAsync("/v1/secrets/orders/app", token);

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("no_such_endpoint", await RunningServer.ErrorCodeAsync(unknown));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.Equal("no_such_endpoint", await RunningServer.ErrorCodeAsync(wrongMethod));
        Assert.Equal(HttpStatusCode.NotFound, postWithoutAction.StatusCode);
        Assert.Equal("no_such_endpoint", await RunningServer.ErrorCodeAsync(postWithoutAction));
    }

    /// <summary>One request written byte for byte, so that no client library normalises the path first.</summary>
    private static async Task<(int Status, string Body)> RawAsync(RunningServer server, string method, string path, string token)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Address.Host, server.Address.Port, TestContext.Current.CancellationToken);
        var stream = client.GetStream();
        var request = $"{method} {path} HTTP/1.1\r\nHost: {server.Address.Authority}\r\nAuthorization: Bearer {token}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), TestContext.Current.CancellationToken);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = await reader.ReadToEndAsync(TestContext.Current.CancellationToken);
        var status = int.Parse(response.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        return (status, response);
    }
}

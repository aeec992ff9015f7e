using Microsoft.Extensions.Options;
using PgRotate.Client;

namespace PgRotate.Tests.Client;

/// <summary>Options are checked before anything is contacted, with one message per mistake.</summary>
public sealed class ClientOptionsTests
{
    [Fact]
    public void Complete_options_have_no_problem()
    {
        Assert.Empty(Valid().Validate());
    }

    [Theory]
    [InlineData("http://pgrotate.internal:7420")]
    [InlineData("http://10.0.0.5:7420")]
    [InlineData("http://[2001:db8::1]:7420")]
    public void Plain_http_to_another_machine_is_refused_naming_the_risk(string url)
    {
        var options = Valid();
        options.ServerUrl = new Uri(url);

        var problem = Assert.Single(options.Validate());

        Assert.Contains("plain http to another machine", problem, StringComparison.Ordinal);
        Assert.Contains("AllowInsecureHttp", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:7420")]
    [InlineData("http://127.0.0.53:7420")]
    [InlineData("http://localhost:7420")]
    [InlineData("http://[::1]:7420")]
    public void Plain_http_on_this_machine_is_allowed(string url)
    {
        var options = Valid();
        options.ServerUrl = new Uri(url);

        Assert.Empty(options.Validate());
    }

    [Fact]
    public void AllowInsecureHttp_allows_plain_http_to_another_machine()
    {
        var options = Valid();
        options.ServerUrl = new Uri("http://pgrotate.internal:7420");
        options.AllowInsecureHttp = true;

        Assert.Empty(options.Validate());
    }

    [Fact]
    public void Each_mistake_gets_its_own_message_and_ThrowIfInvalid_lists_them_all()
    {
        var options = new PgRotateClientOptions
        {
            ServerUrl = new Uri("ftp://pgrotate.internal"),
            Token = "pgr_x",
            TokenFile = "/run/secrets/token",
            LongPollTimeout = TimeSpan.FromMinutes(10),
            MaxBackoff = TimeSpan.Zero,
        };

        var problems = options.Validate();
        var e = Assert.Throws<OptionsValidationException>(() => options.ThrowIfInvalid());

        Assert.Collection(
            problems,
            p => Assert.StartsWith("ServerUrl must be an absolute http:// or https:// address", p, StringComparison.Ordinal),
            p => Assert.Equal("give Token or TokenFile, not both", p),
            p => Assert.StartsWith("Secret is required", p, StringComparison.Ordinal),
            p => Assert.StartsWith("LongPollTimeout must be from 1 s to 5 min", p, StringComparison.Ordinal),
            p => Assert.StartsWith("MaxBackoff must be from 100 ms to 1 hour", p, StringComparison.Ordinal));
        Assert.Equal(problems, e.Failures);
    }

    [Fact]
    public void Missing_server_token_and_files_are_each_named()
    {
        var options = new PgRotateClientOptions { Secret = "orders/app", CaCertificateFile = "/nonexistent/ca.crt" };

        var problems = options.Validate();

        Assert.Collection(
            problems,
            p => Assert.StartsWith("ServerUrl is required", p, StringComparison.Ordinal),
            p => Assert.StartsWith("a token is required", p, StringComparison.Ordinal),
            p => Assert.Equal("CaCertificateFile /nonexistent/ca.crt does not exist", p));
    }

    [Fact]
    public void The_token_never_appears_in_a_message()
    {
        var options = Valid();
        options.ServerUrl = new Uri("http://pgrotate.internal:7420");
        options.Token = "pgr_secret-token-value";

        Assert.DoesNotContain(options.Validate(), p => p.Contains("secret-token-value", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_api_client_refuses_invalid_options_before_sending_anything()
    {
        var options = Valid();
        options.ServerUrl = new Uri("http://pgrotate.internal:7420");

        await Assert.ThrowsAsync<OptionsValidationException>(() => PgRotateApiClient.CreateAsync(options, cancellationToken: TestContext.Current.CancellationToken));
    }

    private static PgRotateClientOptions Valid() => new()
    {
        ServerUrl = new Uri("https://pgrotate.internal:8443"),
        Token = "pgr_x",
        Secret = "orders/app",
    };
}

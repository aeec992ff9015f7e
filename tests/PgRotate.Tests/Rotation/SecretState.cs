using System.Text.Json;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary>A secret's versions as <c>pgrotate secret show NAME --json</c> reports them.</summary>
public sealed record SecretState(IReadOnlyList<SecretState.Version> Versions)
{
    public sealed record Version(int Number, string Username, string Stage, DateTimeOffset? ValidUntil);

    public Version Current => Versions.Single(v => v.Stage == "current");
    public Version? Previous => Versions.SingleOrDefault(v => v.Stage == "previous");
    public Version? Pending => Versions.SingleOrDefault(v => v.Stage == "pending");
    public int Highest => Versions.Max(v => v.Number);

    public static async Task<SecretState> ReadAsync(CliSandbox sandbox, string secret)
    {
        var json = (await sandbox.RunAsync("secret", "show", secret, "--json")).Ok();
        return new SecretState(JsonDocument.Parse(json).RootElement.GetProperty("versions").EnumerateArray()
            .Select(v => new Version(
                v.GetProperty("version").GetInt32(),
                v.GetProperty("username").GetString()!,
                v.GetProperty("stage").GetString()!,
                v.GetProperty("validUntil").ValueKind == JsonValueKind.Null ? null : v.GetProperty("validUntil").GetDateTimeOffset()))
            .OrderBy(v => v.Number)
            .ToList());
    }

    /// <summary>
    /// What must hold between rotations, however the last one ended: the store opens and decrypts; versions are
    /// numbered 1..n without gaps; exactly one is current and none pending; the current credential logs in and acts as
    /// <paramref name="group"/>, and so does the previous one (no grace given: it stays valid until the next rotation).
    /// </summary>
    public static async Task<SecretState> AssertSettledAsync(PostgresFixture postgres, CliSandbox sandbox, string secret, string group)
    {
        var state = await ReadAsync(sandbox, secret);
        Assert.Equal(Enumerable.Range(1, state.Versions.Count), state.Versions.Select(v => v.Number));
        Assert.Single(state.Versions, v => v.Stage == "current");
        Assert.DoesNotContain(state.Versions, v => v.Stage == "pending");

        var current = await ClientLogin.GetAsync(sandbox, secret);
        Assert.Equal((state.Current.Number, state.Current.Username), (current.Version, current.Username));
        Assert.Equal($"{current.Username}/{group}", await ClientLogin.WhoAmIAsync(postgres, current));
        if (state.Previous is { } previousVersion)
        {
            var previous = await ClientLogin.GetAsync(sandbox, secret, "previous");
            Assert.Equal((previousVersion.Number, previousVersion.Username), (previous.Version, previous.Username));
            Assert.NotEqual(current.Username, previous.Username);
            Assert.Equal($"{previous.Username}/{group}", await ClientLogin.WhoAmIAsync(postgres, previous));
        }

        return state;
    }

    /// <summary>The current credential logs in and acts as <paramref name="group"/>: at no moment, crash or not, may it fail.</summary>
    public static async Task AssertCurrentWorksAsync(PostgresFixture postgres, CliSandbox sandbox, string secret, string group)
    {
        var current = await ClientLogin.GetAsync(sandbox, secret);
        Assert.Equal($"{current.Username}/{group}", await ClientLogin.WhoAmIAsync(postgres, current));
    }

    /// <summary>A version read from the store directly (failed ones, which 'pgrotate get' does not serve), as a client login.</summary>
    public static ClientLogin.Login LoginOf(PgRotate.Secrets.SecretVersion version) =>
        new(version.Username, version.Password.Reveal(), version.Number);
}

using Npgsql;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

public sealed class AlternatingRotationTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Rotation_moves_current_to_the_other_login_and_both_log_in_as_the_group()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", sandbox.TargetName, "--group", group)).Ok();
        var first = await ClientLogin.GetAsync(sandbox, "orders/app");

        var output = (await sandbox.RunAsync("rotate", "orders/app")).Ok();

        Assert.Contains($"current login {group}_b", output);
        var current = await ClientLogin.GetAsync(sandbox, "orders/app");
        var previous = await ClientLogin.GetAsync(sandbox, "orders/app", "previous");
        Assert.Equal((group + "_b", 2), (current.Username, current.Version));
        Assert.Equal(first, previous);
        Assert.Equal($"{group}_b/{group}", await ClientLogin.WhoAmIAsync(postgres, current));
        Assert.Equal($"{group}_a/{group}", await ClientLogin.WhoAmIAsync(postgres, previous));

        (await sandbox.RunAsync("rotate", "orders/app", "--force")).Ok();
        var third = await ClientLogin.GetAsync(sandbox, "orders/app");
        Assert.Equal((group + "_a", 3), (third.Username, third.Version));
        Assert.NotEqual(first.Password, third.Password);
        Assert.Equal(PostgresErrorCodes.InvalidPassword, await ClientLogin.WhoAmIAsync(postgres, first));
        Assert.Equal($"{group}_a/{group}", await ClientLogin.WhoAmIAsync(postgres, third));
    }
}

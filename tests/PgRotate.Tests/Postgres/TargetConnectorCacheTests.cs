using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Targets;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Postgres;

/// <summary>
/// A long-lived <see cref="TargetConnector"/> logs in with the admin password the target holds now, never with a pooled
/// data source built for an earlier password, even when both passwords have the same length.
/// </summary>
public sealed class TargetConnectorCacheTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_changed_admin_password_of_the_same_length_is_used_on_the_next_admin_connection()
    {
        var ct = TestContext.Current.CancellationToken;
        var rotator = Unique.Name("rotator");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(rotator)}");
        var right = await Logins.GivePasswordAsync(postgres, rotator);
        var wrong = PasswordGenerator.Generate();
        Assert.Equal(right.Length, wrong.Length);
        var cluster = postgres.Cluster;
        var connectionString = $"Host={cluster.Host};Port={cluster.Port};Database=postgres";
        await using var connector = new TargetConnector();

        var refused = await Assert.ThrowsAsync<PgRotateException>(() => connector.OpenAdminAsync(new Target("t", connectionString, rotator, wrong), ct));
        Assert.Equal(ErrorCode.AuthenticationFailed, refused.Code);

        await using (var connection = await connector.OpenAdminAsync(new Target("t", connectionString, rotator, right), ct))
        {
            Assert.Equal(rotator, await connection.ScalarAsync<string>("SELECT session_user::text"));
        }

        // And back: the stale right password is not reused once the target holds another one.
        var stale = await Assert.ThrowsAsync<PgRotateException>(() => connector.OpenAdminAsync(new Target("t", connectionString, rotator, wrong), ct));
        Assert.Equal(ErrorCode.AuthenticationFailed, stale.Code);
    }
}

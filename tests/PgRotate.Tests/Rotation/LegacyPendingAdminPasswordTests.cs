using PgRotate.Crypto;
using PgRotate.Postgres;
using PgRotate.Secrets;
using PgRotate.Tests.Store;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Rotation;

/// <summary>
/// A store written before admin passwords were versioned (schema 5) keeps the password of an interrupted
/// <c>target rotate-admin</c> in <c>targets.pending_password</c>; opening it moves that password into the versions table,
/// and the next <c>rotate-admin</c> resumes it.
/// </summary>
public sealed class LegacyPendingAdminPasswordTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_schema_5_store_with_a_pending_admin_password_opens_and_rotate_admin_resumes_it()
    {
        var ct = TestContext.Current.CancellationToken;
        var rotator = Unique.Name("rotator");
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(rotator)} CREATEROLE");
        var oldPassword = await Logins.GivePasswordAsync(postgres, rotator);
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync(user: rotator, password: oldPassword.Reveal());
        // What a schema-5 run killed after "set" left: the new password sealed in targets.pending_password, and already
        // in force on the server.
        var next = PasswordGenerator.Generate();
        await SchemaFiveStore.DowngradeAsync(sandbox);
        using (var key = await MasterKey.ReadFileAsync(sandbox.KeyPath, ct))
        {
            var sealedPending = new Envelope(key).SealText(next, $"target:{sandbox.TargetName}:pending-password");
            await sandbox.ExecuteAsync("UPDATE targets SET pending_password = $p WHERE name = $n", ("$p", sealedPending), ("$n", sandbox.TargetName));
        }

        await postgres.ExecuteAsync($"ALTER ROLE {Sql.Identifier(rotator)} PASSWORD {Sql.Literal(ScramVerifier.Create(next))}");

        (await sandbox.RunAsync("target", "rotate-admin", sandbox.TargetName)).Ok();

        var store = await sandbox.OpenStoreAsync();
        Assert.Equal(next.Reveal(), (await store.GetTargetAsync(sandbox.TargetName, ct)).Password.Reveal());
        Assert.Equal([(1, Stage.Current)], (await store.ListAdminVersionsAsync(sandbox.TargetName, ct)).Select(v => (v.Number, v.Stage)));
        Assert.Equal(["pending", "rotated"], (await store.ListAdminHistoryAsync(sandbox.TargetName, ct)).Select(e => e.Event));
        Assert.Equal(0L, await sandbox.ScalarAsync<long>("SELECT count(*) FROM targets WHERE pending_password IS NOT NULL"));
        // Every migration applied since: the number of scripts, not a number that each new migration would break.
        var scripts = typeof(PgRotate.Store.Sqlite.SqliteSecretStore).Assembly.GetManifestResourceNames().Count(n => n.EndsWith(".sql", StringComparison.Ordinal));
        Assert.Equal((long)scripts, await sandbox.ScalarAsync<long>("PRAGMA user_version"));
        (await sandbox.RunAsync("target", "check", sandbox.TargetName)).Ok();
    }
}

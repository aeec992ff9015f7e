using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Rotation;
using PgRotate.Store;
using PgRotate.Tests.Support;
using PgRotate.Store.Sqlite;

namespace PgRotate.Tests.Rotation;

public sealed class RotationLoggingTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Rotation_logs_name_facts_and_never_a_password_or_verifier()
    {
        var ct = TestContext.Current.CancellationToken;
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");
        (await sandbox.RunAsync("secret", "add", "logs/app", "--target", sandbox.TargetName, "--group", group)).Ok();
        using var key = await MasterKey.ReadFileAsync(sandbox.KeyPath, ct);
        var store = await SqliteSecretStore.OpenAsync(sandbox.StorePath, key, TimeProvider.System, null, ct);
        await using var connector = new TargetConnector();
        var logger = new CapturingLogger<RotationEngine>();
        var engine = new RotationEngine(store, connector, TimeProvider.System, logger: logger);

        await engine.RotateAsync("logs/app", ct);
        await engine.RotateAsync(new RotationRequest("logs/app", Force: true), ct);
        // A failing test step logs an error with the reason; the failed credential must not appear either.
        await postgres.ExecuteAsync($"REVOKE \"{group}\" FROM \"{group}_b\"");
        var failure = await Assert.ThrowsAsync<PgRotateException>(() => engine.RotateAsync(new RotationRequest("logs/app", Force: true), ct));
        Assert.Equal(ErrorCode.RotationFailed, failure.Code);

        var versions = await store.ListVersionsAsync("logs/app", ct);
        Assert.Equal(4, versions.Count);
        Assert.Contains(logger.Messages, m => m.Contains($"Rotated logs/app to version 3 (login {group}_a)", StringComparison.Ordinal));
        Assert.Contains(logger.Messages, m => m.StartsWith("Error 1003", StringComparison.Ordinal) && m.Contains("logs/app", StringComparison.Ordinal));
        foreach (var message in logger.Messages.Append(failure.ToString()))
        {
            Assert.DoesNotContain("SCRAM-SHA-256$", message, StringComparison.Ordinal);
            foreach (var version in versions)
            {
                Assert.DoesNotContain(version.Password.Reveal(), message, StringComparison.Ordinal);
            }
        }
    }
}

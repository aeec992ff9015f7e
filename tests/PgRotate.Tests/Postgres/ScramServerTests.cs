using Npgsql;
using PgRotate.Crypto;
using PgRotate.Postgres;
using PgRotate.Setup;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Postgres;

/// <summary>The verifiers pgrotate computes are the ones the server computes, byte for byte, and the server accepts them.</summary>
public sealed class ScramServerTests(PostgresFixture postgres)
{
    [Fact]
    public async Task The_verifier_computed_here_equals_the_one_the_server_computed_for_the_same_password_and_salt()
    {
        var role = Unique.Name("scram");
        var password = PasswordGenerator.Generate();
        // Deliberately plaintext, so that the server does the hashing with its own salt and iteration count.
        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(role)} LOGIN PASSWORD {Sql.Literal(password.Reveal())}");

        var stored = await postgres.ScalarAsync<string>($"SELECT rolpassword FROM pg_authid WHERE rolname = '{role}'");

        var (iterations, salt) = ParseParameters(stored);
        Assert.Equal(16, salt.Length);
        Assert.Equal(stored, ScramVerifier.Compute(password, iterations, salt));
        Assert.True(ScramVerifier.Matches(stored, password));
        Assert.False(ScramVerifier.Matches(stored, PasswordGenerator.Generate()));
    }

    [Fact]
    public async Task The_iteration_count_used_for_new_verifiers_is_the_servers_scram_iterations()
    {
        await using var connection = await postgres.Cluster.OpenSuperuserConnectionAsync(cancellationToken: TestContext.Current.CancellationToken);
        var ct = TestContext.Current.CancellationToken;
        if (postgres.MajorVersion >= 16)
        {
            await connection.ExecuteAsync("SET scram_iterations = 8192");
            Assert.Equal(8192, await TargetOperations.ReadScramIterationsAsync(connection, ct));

            // The server now hashes with 8192 iterations too, and our computation still matches its result.
            var role = Unique.Name("scram");
            var password = PasswordGenerator.Generate();
            await connection.ExecuteAsync($"CREATE ROLE {Sql.Identifier(role)} LOGIN PASSWORD {Sql.Literal(password.Reveal())}");
            var stored = await connection.ScalarAsync<string>($"SELECT rolpassword FROM pg_authid WHERE rolname = '{role}'");
            var (iterations, salt) = ParseParameters(stored);
            Assert.Equal(8192, iterations);
            Assert.Equal(stored, ScramVerifier.Compute(password, iterations, salt));
        }
        else
        {
            // PostgreSQL 15 has no scram_iterations and always uses 4096.
            Assert.IsType<DBNull>(await connection.ScalarAsync<object>("SELECT current_setting('scram_iterations', true)"));
            Assert.Equal(4096, await TargetOperations.ReadScramIterationsAsync(connection, ct));
        }
    }

    [Theory]
    [InlineData(4096)]
    [InlineData(8192)]
    public async Task A_verifier_computed_here_is_stored_as_is_and_accepts_the_password(int iterations)
    {
        var role = Unique.Name("scram");
        var password = PasswordGenerator.Generate();
        var verifier = ScramVerifier.Create(password, iterations);

        await postgres.ExecuteAsync($"CREATE ROLE {Sql.Identifier(role)} LOGIN PASSWORD {Sql.Literal(verifier)}");

        Assert.Equal(verifier, await postgres.ScalarAsync<string>($"SELECT rolpassword FROM pg_authid WHERE rolname = '{role}'"));
        await using (var login = await Logins.OpenAsync(postgres, role, password))
        {
            Assert.Equal(role, await login.ScalarAsync<string>("SELECT session_user::text"));
        }

        var wrong = await Assert.ThrowsAsync<PostgresException>(async () => await Logins.OpenAsync(postgres, role, PasswordGenerator.Generate()));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, wrong.SqlState);
    }

    [Fact]
    public async Task Secret_add_makes_its_verifier_with_the_scram_iterations_of_the_admin_session()
    {
        using var sandbox = new CliSandbox(postgres);
        (await sandbox.RunAsync("init")).Ok();
        var cluster = postgres.Cluster;
        // On 16+ the admin's session asks for 8192 iterations; 15 knows only 4096.
        var expected = postgres.MajorVersion >= 16 ? 8192 : 4096;
        var options = postgres.MajorVersion >= 16 ? ";Options=-c scram_iterations=8192" : "";
        (await sandbox.RunWithInputAsync(cluster.SuperuserPassword.Reveal() + "\n", "target", "add", "db",
            "--conn", $"Host={cluster.Host};Port={cluster.Port};Database=postgres;Username=postgres{options}", "--password-stdin")).Ok();
        var group = Unique.Name("foo");

        (await sandbox.RunAsync("secret", "add", "orders/app", "--target", "db", "--group", group)).Ok();

        var current = await sandbox.CurrentVersionAsync("orders/app");
        var stored = await postgres.ScalarAsync<string>($"SELECT rolpassword FROM pg_authid WHERE rolname = '{current.Username}'");
        var (iterations, salt) = ParseParameters(stored);
        Assert.Equal(expected, iterations);
        Assert.Equal(stored, ScramVerifier.Compute(current.Password, iterations, salt));
    }

    /// <summary>Iterations and salt of <c>SCRAM-SHA-256$&lt;iterations&gt;:&lt;salt&gt;$&lt;StoredKey&gt;:&lt;ServerKey&gt;</c>.</summary>
    private static (int Iterations, byte[] Salt) ParseParameters(string verifier)
    {
        var parts = verifier.Split('$');
        Assert.Equal(3, parts.Length);
        Assert.Equal("SCRAM-SHA-256", parts[0]);
        var parameters = parts[1].Split(':');
        return (int.Parse(parameters[0], System.Globalization.CultureInfo.InvariantCulture), Convert.FromBase64String(parameters[1]));
    }
}

using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using Npgsql;
using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Targets;

namespace PgRotate.Postgres;

/// <summary>
/// Opens connections to targets: pooled admin connections (one data source per target, kept for this object's life)
/// and fresh, unpooled logins with a candidate credential, which is the only honest way to test one.
/// Every connection allows only SCRAM or no password exchange at all (<see cref="RequireAuth"/>), and off this machine
/// defaults to <c>SSL Mode=VerifyFull</c> (<see cref="TargetTls"/>).
/// Type loading is off: pgrotate only reads built-in types, and skipping it halves the cost of a fresh login.
/// </summary>
public sealed class TargetConnector : IAsyncDisposable
{
    /// <summary>
    /// Npgsql's <c>Require Auth</c>: SCRAM-SHA-256 (with or without channel binding, "-PLUS") or no exchange at all. A
    /// server, or something pretending to be one, that asks for a cleartext or MD5 password gets nothing: the connection
    /// fails before the password leaves this process. "None" (trust, peer over a Unix socket, client certificates)
    /// sends no secret either; 'target check' warns when a server accepts a wrong password.
    /// A <c>Require Auth</c> in a target's connection string is overridden.
    /// </summary>
    public const string RequireAuth = "ScramSHA256,None";

    private readonly ConcurrentDictionary<string, AdminSource> _adminSources = new(StringComparer.Ordinal);

    /// <summary>A pooled data source and the credential it logs in with, to notice when a target's admin password changed.</summary>
    private sealed record AdminSource(NpgsqlDataSource Source, string ConnectionString, string Username, SecretText Password)
    {
        public bool Serves(Target target) =>
            ConnectionString == target.ConnectionString && Username == target.Username && Password.Equals(target.Password);
    }

    public Task<NpgsqlConnection> OpenAdminAsync(Target target, CancellationToken cancellationToken) => OpenAdminAsync(target, null, cancellationToken);

    /// <summary>A pooled admin connection to <paramref name="database"/> on the target's server (null: the target's own database).</summary>
    public async Task<NpgsqlConnection> OpenAdminAsync(Target target, string? database, CancellationToken cancellationToken)
    {
        var source = await AdminSourceAsync(target, database).ConfigureAwait(false);
        try
        {
            return await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw await FailureAsync(e, target, AdminWhat(target), target.Username, database, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The target's pooled data source, replaced (and the old one disposed) when the target's connection string or admin
    /// credential is not the one it was built with: a long-lived process must not keep logging in with a stale password.
    /// </summary>
    private async ValueTask<NpgsqlDataSource> AdminSourceAsync(Target target, string? database)
    {
        var key = $"{target.Name}\n{database}";
        while (true)
        {
            if (_adminSources.TryGetValue(key, out var existing))
            {
                if (existing.Serves(target))
                {
                    return existing.Source;
                }

                var replacement = NewAdminSource(target, database);
                if (_adminSources.TryUpdate(key, replacement, existing))
                {
                    await existing.Source.DisposeAsync().ConfigureAwait(false);
                    return replacement.Source;
                }

                await replacement.Source.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                var created = NewAdminSource(target, database);
                if (_adminSources.TryAdd(key, created))
                {
                    return created.Source;
                }

                await created.Source.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static AdminSource NewAdminSource(Target target, string? database) =>
        new(Build(target.ConnectionString, target.Username, target.Password, database, pooling: true, noResetOnClose: true),
            target.ConnectionString, target.Username, target.Password);

    /// <summary>A new physical connection that logs in as <paramref name="username"/> (never taken from a pool).</summary>
    public Task<NpgsqlConnection> OpenAsAsync(Target target, string username, SecretText password, CancellationToken cancellationToken) =>
        OpenAsAsync(target, username, password, null, cancellationToken);

    /// <summary>As above, to <paramref name="database"/> (null: the target's own database).</summary>
    public async Task<NpgsqlConnection> OpenAsAsync(Target target, string username, SecretText password, string? database, CancellationToken cancellationToken)
    {
        var source = Build(target.ConnectionString, username, password, database, pooling: false);
        await using var closeSource = source.ConfigureAwait(false);
        try
        {
            return await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw await FailureAsync(e, target, $"login as {username} on {target.Address}", username, database, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A new admin login that also tells whether the server asked for the password (with <see cref="RequireAuth"/> only
    /// SCRAM can ask), for 'target check' to report the authentication method honestly.
    /// </summary>
    internal async Task<(NpgsqlConnection Connection, bool PasswordRequested)> OpenAdminObservedAsync(
        Target target, ChannelBinding? channelBinding, CancellationToken cancellationToken)
    {
        var requested = new StrongBox<bool>();
        var builder = CreateBuilder(target.ConnectionString, target.Username, database: null, pooling: false, noResetOnClose: false);
        builder.ConnectionStringBuilder.Passfile = null;
        if (channelBinding is { } binding)
        {
            builder.ConnectionStringBuilder.ChannelBinding = binding;
        }

        var password = target.Password;
        builder.UsePasswordProvider(
            _ =>
            {
                requested.Value = true;
                return password.Reveal();
            },
            (_, _) =>
            {
                requested.Value = true;
                return ValueTask.FromResult(password.Reveal());
            });
        var source = builder.Build();
        await using var closeSource = source.ConfigureAwait(false);
        try
        {
            var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            return (connection, requested.Value);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw await FailureAsync(e, target, AdminWhat(target), target.Username, null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether an admin login with channel binding required (SCRAM-SHA-256-PLUS) succeeds.</summary>
    internal async Task<bool> AcceptsChannelBindingAsync(Target target, CancellationToken cancellationToken)
    {
        try
        {
            var (connection, _) = await OpenAdminObservedAsync(target, ChannelBinding.Require, cancellationToken).ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
            return true;
        }
        catch (PgRotateException)
        {
            return false;
        }
    }

    /// <summary>
    /// Logs in as the target's admin with a freshly generated password that cannot be the right one. True when the
    /// server lets it in: it does not check this login's password (trust, or peer/certificate authentication), so a
    /// successful login proves nothing about a credential. The refused attempt leaves one "password authentication
    /// failed" line in the server log.
    /// </summary>
    internal async Task<bool> AcceptsWrongPasswordAsync(Target target, CancellationToken cancellationToken)
    {
        var source = Build(target.ConnectionString, target.Username, PasswordGenerator.Generate(), null, pooling: false);
        await using var closeSource = source.ConfigureAwait(false);
        try
        {
            var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var closeConnection = connection.ConfigureAwait(false);
            return true;
        }
        catch (NpgsqlException e) when (PostgresErrors.FirstHostFailure(e) is PostgresException
                                         {
                                             SqlState: PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification,
                                         })
        {
            return false;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw await FailureAsync(e, target, AdminWhat(target), target.Username, null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Forgets pooled admin connections of a target (after its admin password changed).</summary>
    internal async Task ResetAsync(Target target)
    {
        foreach (var key in _adminSources.Keys.Where(k => k.StartsWith(target.Name + "\n", StringComparison.Ordinal)).ToList())
        {
            if (_adminSources.TryRemove(key, out var entry))
            {
                await entry.Source.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <param name="noResetOnClose">
    /// Skip the DISCARD ALL a pooled connection otherwise sends when reused: pgrotate's admin sessions change no session
    /// state (every statement commits or rolls back), so it would be a wasted round of server work per step.
    /// </param>
    internal static NpgsqlDataSource Build(string connectionString, string username, SecretText password, string? database, bool pooling, bool noResetOnClose = false)
    {
        var builder = CreateBuilder(connectionString, username, database, pooling, noResetOnClose);
        builder.ConnectionStringBuilder.Password = password.Reveal();
        return builder.Build();
    }

    private static NpgsqlDataSourceBuilder CreateBuilder(string connectionString, string username, string? database, bool pooling, bool noResetOnClose)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.NoResetOnClose = noResetOnClose;
        builder.ConnectionStringBuilder.Username = username;
        builder.ConnectionStringBuilder.Pooling = pooling;
        builder.ConnectionStringBuilder.RequireAuth = RequireAuth;
        TargetTls.ApplyDefaults(builder.ConnectionStringBuilder, connectionString);
        if (database is not null)
        {
            builder.ConnectionStringBuilder.Database = database;
        }

        if (string.IsNullOrEmpty(builder.ConnectionStringBuilder.ApplicationName))
        {
            builder.ConnectionStringBuilder.ApplicationName = "pgrotate";
        }

        builder.ConfigureTypeLoading(options => options.EnableTypeLoading(false));
        return builder;
    }

    private static string AdminWhat(Target target) => $"target {target.Name} ({target.Address}) as {target.Username}";

    /// <summary>
    /// The failure as one line with a stable code. A driver failure on a connection that requires TLS is looked at once
    /// more (<see cref="TlsDiagnosis"/>), since Npgsql does not say why it refused a certificate.
    /// </summary>
    private static async Task<PgRotateException> FailureAsync(Exception exception, Target target, string what, string user, string? database, CancellationToken cancellationToken)
    {
        if (PostgresErrors.FirstHostFailure(exception) is PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege } denied)
        {
            // At login, "permission denied for database": the role lacks CONNECT (revoked from PUBLIC, never granted to it).
            var db = database ?? target.Database;
            var grantee = user == target.Username
                ? Sql.Identifier(user)
                : $"the group role of {Sql.Identifier(user)} ('pgrotate target check {target.Name} --group GROUP' prints the statement)";
            return new PgRotateException(ErrorCode.PermissionDenied,
                $"{what}: {user} may not connect to database {db}: {PostgresErrors.Scrub(denied.MessageText)}; run as a superuser or the database's owner: GRANT CONNECT ON DATABASE {Sql.Identifier(db)} TO {grantee};",
                exception);
        }

        if (exception is NpgsqlException and not PostgresException && exception.InnerException is not (SocketException or TimeoutException)
            && PostgresErrors.RefusedAuthenticationMethod(exception) is null && !target.Host.Contains(',', StringComparison.Ordinal))
        {
            var settings = new NpgsqlConnectionStringBuilder(target.ConnectionString);
            var reason = await TlsDiagnosis.DescribeAsync(target.Host, target.Port, TargetTls.EffectiveSslMode(target.ConnectionString),
                settings.RootCertificate, cancellationToken).ConfigureAwait(false);
            if (reason is not null)
            {
                // Carried as an AuthenticationException: a TLS failure is not retried (PostgresErrors.IsTransient).
                return new PgRotateException(ErrorCode.TargetUnreachable, $"{what}: {reason}", new AuthenticationException(reason, exception));
            }
        }

        return PostgresErrors.Translate(exception, what);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var entry in _adminSources.Values)
        {
            await entry.Source.DisposeAsync().ConfigureAwait(false);
        }

        _adminSources.Clear();
    }
}

using System.Buffers;
using Npgsql;
using PgRotate.Contracts;
using PgRotate.Postgres;
using PgRotate.Secrets;

namespace PgRotate.Cli.Commands.Demo;

/// <summary>
/// What the pattern promises, checked after the last rotation by logging in as a client would: the current login
/// works, the previous one still works inside its grace, tables created through either belong to the group, and no
/// generated password reached the server log (which records every statement).
/// </summary>
internal static class PatternChecks
{
    public static async Task<DemoChecks> RunAsync(DemoEnvironment environment, TargetConnector connector, CancellationToken cancellationToken)
    {
        var store = environment.Store;
        var current = (await store.FindVersionAsync(DemoEnvironment.SecretName, Stage.Current, cancellationToken))!;
        var previous = await store.FindVersionAsync(DemoEnvironment.SecretName, Stage.Previous, cancellationToken);
        var currentOwner = await CreateTableAsync(environment, connector, current, $"made_by_v{current.Number}", cancellationToken);
        var previousOwner = previous is null ? null : await CreateTableAsync(environment, connector, previous, $"made_by_v{previous.Number}", cancellationToken);

        var versions = await store.ListVersionsAsync(DemoEnvironment.SecretName, cancellationToken);
        using var serverLog = environment.Cluster.OpenServerLog();
        var leaked = await PasswordsInLogAsync(serverLog, [.. versions.Select(v => v.Password.Reveal())], cancellationToken);
        return new DemoChecks(DemoEnvironment.Group, current.Username, previous?.Username, currentOwner is not null,
            previous is null ? null : previousOwner is not null, currentOwner, previousOwner, leaked, versions.Count);
    }

    /// <summary>
    /// How many of <paramref name="passwords"/> occur in <paramref name="log"/> (the server's). One pass for all of them, line by line: a long
    /// run logs millions of statements (gigabytes, more than one string can hold) and makes hundreds of versions, and
    /// searching the log once per password took longer than the checks may. A generated password has no line break, so
    /// searching each line finds every occurrence.
    /// </summary>
    internal static async Task<int> PasswordsInLogAsync(TextReader log, string[] passwords, CancellationToken cancellationToken)
    {
        var any = SearchValues.Create(passwords, StringComparison.Ordinal);
        var found = new HashSet<string>(StringComparer.Ordinal);
        while (await log.ReadLineAsync(cancellationToken) is { } line)
        {
            AddPasswordsIn(line, passwords, any, found);
        }

        return found.Count;
    }

    private static void AddPasswordsIn(string line, string[] passwords, SearchValues<string> any, HashSet<string> found)
    {
        var rest = line.AsSpan();
        while (rest.IndexOfAny(any) is var at and >= 0)
        {
            rest = rest[at..];
            foreach (var password in passwords)
            {
                if (rest.StartsWith(password, StringComparison.Ordinal))
                {
                    found.Add(password);
                }
            }

            rest = rest[1..];
        }
    }

    /// <summary>Logs in as <paramref name="version"/>, creates a table and returns its owner; null when the login is refused.</summary>
    private static async Task<string?> CreateTableAsync(DemoEnvironment environment, TargetConnector connector, SecretVersion version, string table, CancellationToken cancellationToken)
    {
        NpgsqlConnection connection;
        try
        {
            connection = await connector.OpenAsAsync(environment.Target, version.Username, version.Password, cancellationToken);
        }
        catch (Errors.PgRotateException e) when (e.Code == Errors.ErrorCode.AuthenticationFailed)
        {
            return null;
        }

        await using (connection)
        {
            await using (var create = new NpgsqlCommand($"CREATE TABLE public.{Sql.Identifier(table)}(i int)", connection))
            {
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var owner = new NpgsqlCommand("SELECT tableowner::text FROM pg_tables WHERE schemaname = 'public' AND tablename = $1", connection);
            owner.Parameters.Add(new NpgsqlParameter { Value = table });
            return (string)(await owner.ExecuteScalarAsync(cancellationToken))!;
        }
    }
}

using Npgsql;
using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Targets;

namespace PgRotate.Store.Postgres;

/// <summary>
/// Where a PostgreSQL store lives and how pgrotate logs in to it: an Npgsql key=value connection string or a
/// <c>postgresql://</c> URI, the schema that holds the store's tables, and the store's own password.
/// </summary>
/// <remarks>
/// The password, in this order: the connection string's own (which leaves it in shell history when typed on the
/// command line; prefer PGROTATE_STORE to --store then), else <see cref="PasswordVariable"/>, else what Npgsql finds
/// by itself as libpq does: PGPASSWORD, then the password file (PGPASSFILE or ~/.pgpass). The pgrotate variable comes
/// before PGPASSWORD because it is set for this store alone, where PGPASSWORD is often exported for psql and other tools.
/// The connection follows a target's transport rules: only SCRAM or no password exchange
/// (<see cref="TargetConnector.RequireAuth"/>), and SSL Mode=VerifyFull off this machine unless the connection string
/// says otherwise (<see cref="TargetTls"/>).
/// </remarks>
public sealed class PostgresStoreConnection
{
    /// <summary>The store's password when its connection string has none.</summary>
    public const string PasswordVariable = "PGROTATE_STORE_PASSWORD";

    /// <summary>The schema a store is kept in when the connection string's Search Path names none.</summary>
    public const string DefaultSchema = "pgrotate";

    private const string Example = "expected key=value pairs such as \"Host=db.internal;Database=pgrotate;Username=pgrotate\", or postgresql://pgrotate@db.internal/pgrotate";

    private readonly string _connectionString;

    private PostgresStoreConnection(string connectionString, string schema, string description)
    {
        _connectionString = connectionString;
        Schema = schema;
        Description = description;
    }

    /// <summary>The schema holding the store's tables.</summary>
    internal string Schema { get; }

    /// <summary>"host:port/database, schema S": for messages; never holds the password.</summary>
    internal string Description { get; }

    /// <summary>
    /// Reads a store location. <paramref name="environment"/> looks up <see cref="PasswordVariable"/>. Error messages
    /// never repeat the text, which may hold a password.
    /// </summary>
    public static PostgresStoreConnection Parse(string text, Func<string, string?> environment)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
                ? AdminConnection.FromUrl(text)
                : new NpgsqlConnectionStringBuilder(text);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or UriFormatException or OverflowException)
        {
            throw PgRotateException.InvalidInput($"malformed store connection string; {Example}");
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw PgRotateException.InvalidInput($"store connection string names no Host; {Example}");
        }

        var schema = builder.SearchPath?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim('"')
            ?? DefaultSchema;
        if (schema.Length is 0 or > 63 || schema.StartsWith("pg_", StringComparison.Ordinal) || schema.Any(c => c is not (>= 'a' and <= 'z' or >= '0' and <= '9' or '_')))
        {
            throw PgRotateException.InvalidInput("the store's schema (the first entry of Search Path) must be 1-63 lower-case letters, digits or '_', not starting with pg_");
        }

        if (string.IsNullOrEmpty(builder.Password) && environment(PasswordVariable) is { Length: > 0 } password)
        {
            builder.Password = password;
        }

        builder.RequireAuth = TargetConnector.RequireAuth;
        builder.SslMode = TargetTls.EffectiveSslMode(builder.ConnectionString);
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "pgrotate";
        }

        var description = $"{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username ?? Environment.UserName}, schema {schema}";
        return new PostgresStoreConnection(builder.ConnectionString, schema, description);
    }

    /// <summary>
    /// The pool of the rotation lock's sessions (<see cref="AdvisoryRotationLock"/>): pooled like the store's own, with
    /// the idle timeouts that could end a session holding a lock turned off at login (PostgreSQL 14 and later know them;
    /// a value given at login is also what RESET restores, so Npgsql's reset on reuse keeps it).
    /// </summary>
    internal NpgsqlDataSource BuildLockDataSource()
    {
        var builder = new NpgsqlDataSourceBuilder(_connectionString);
        builder.ConnectionStringBuilder.Pooling = true;
        builder.ConnectionStringBuilder.Options = string.Join(' ',
            new[] { builder.ConnectionStringBuilder.Options, "-c idle_session_timeout=0 -c idle_in_transaction_session_timeout=0" }.Where(o => !string.IsNullOrWhiteSpace(o)));
        builder.ConfigureTypeLoading(options => options.EnableTypeLoading(false));
        return builder.Build();
    }


    internal NpgsqlDataSource BuildDataSource(bool pooling)
    {
        var builder = new NpgsqlDataSourceBuilder(_connectionString);
        builder.ConnectionStringBuilder.Pooling = pooling;
        // pgrotate reads only built-in types; skipping type loading saves a round trip per new connection.
        builder.ConfigureTypeLoading(options => options.EnableTypeLoading(false));
        return builder.Build();
    }
}

namespace PgRotate.Contracts;

/// <summary>
/// What <c>pgrotate demo --json</c> prints at the end of a run: the rotations made through the API while consumers kept
/// working, what each kind of consumer saw, how long clients took to move to a new login, and the checks of the
/// pattern itself (both logins work, objects belong to the group, no password in the server log).
/// </summary>
/// <param name="Strategy">The secret's strategy during the run.</param>
/// <param name="ClientRetry">Whether the .NET client retried an open refused for its credential (off with --no-client-retry).</param>
/// <param name="Pooling">Whether the workers' data sources pooled connections (off with --no-pooling: a new login per query).</param>
/// <param name="Interrupted">True when the run was stopped early (Ctrl-C); the figures cover the time it ran.</param>
/// <param name="DurationSeconds">How long the consumers ran.</param>
/// <param name="RotateEverySeconds">The pause between rotations.</param>
/// <param name="Rotations">Rotations finished through the API.</param>
/// <param name="RotationsFailed">Rotations the API answered with an error.</param>
/// <param name="CurrentLogin">The login current at the end.</param>
/// <param name="Workers">One entry per .NET worker querying through the client's data source.</param>
/// <param name="Queries">All workers' queries together.</param>
/// <param name="PgBench">pgbench -C reading the rendered service file; null when it did not run.</param>
/// <param name="PgBouncer">pgbench through a pgbouncer whose database line the agent keeps current; null when it did not run (--no-pgbouncer, or none installed).</param>
/// <param name="SwitchOver">From each rotation's answer until every worker's new connections used the new login; null for a single secret, whose login never changes.</param>
/// <param name="Notification">The client's part of the switch-over: from each rotation's answer until every worker's data source had moved to the new login, before opening anything with it; null for a single secret.</param>
/// <param name="Checks">The pattern's guarantees, checked after the last rotation.</param>
/// <param name="Failures">Failed queries and opens, failed pgbench transactions and connections, all consumers together.</param>
public sealed record DemoSummary(
    RotationStrategy Strategy,
    bool ClientRetry,
    bool Pooling,
    bool Interrupted,
    double DurationSeconds,
    double RotateEverySeconds,
    int Rotations,
    int RotationsFailed,
    string CurrentLogin,
    IReadOnlyList<DemoWorker> Workers,
    DemoQueries Queries,
    DemoPgBench? PgBench,
    DemoPgBench? PgBouncer,
    DemoLatency? SwitchOver,
    DemoLatency? Notification,
    DemoChecks Checks,
    long Failures);

/// <summary>One .NET worker: the login its last query ran as, its queries, and how many logins it has used.</summary>
public sealed record DemoWorker(int Index, string? Login, long QueriesOk, long QueriesFailed, int LoginChanges);

/// <summary>Every worker's queries together, with their latency (open + query + close, as the application sees it).</summary>
public sealed record DemoQueries(long Ok, long Failed, double P50Ms, double P99Ms);

/// <summary>
/// One pgbench consumer: transactions that succeeded or failed, and connections pgbench could not open or lost (each
/// one aborts its client; the run is started again for the time left). With -C every transaction is a new connection.
/// </summary>
/// <param name="Via">What pgbench connects through: the service file, or pgbouncer.</param>
/// <param name="File">The file the agent keeps current for this consumer (the service file, or pgbouncer's databases include); null when none.</param>
/// <param name="FileVersion">The secret's version the agent last wrote into <paramref name="File"/>.</param>
/// <param name="FileWrites">How many times the agent wrote <paramref name="File"/>, the first time included.</param>
/// <param name="ServerLogins">
/// pgbouncer only: its logins to PostgreSQL per login name (from its log), so both alternating logins show up when it
/// followed the rotations; null for pgbench connecting to PostgreSQL itself.
/// </param>
/// <param name="ServerLoginsFailed">pgbouncer only: its logins to PostgreSQL that PostgreSQL refused.</param>
public sealed record DemoPgBench(
    string Via,
    long TransactionsOk,
    long TransactionsFailed,
    long ConnectionsFailed,
    double Tps,
    string? File = null,
    int? FileVersion = null,
    int? FileWrites = null,
    IReadOnlyDictionary<string, long>? ServerLogins = null,
    long? ServerLoginsFailed = null);

/// <summary>Percentiles over a number of samples, in milliseconds.</summary>
/// <param name="Incomplete">Rotations after which some worker had not moved to the new login before the next rotation.</param>
public sealed record DemoLatency(int Samples, double P50Ms, double P99Ms, double MaxMs, int Incomplete);

/// <summary>
/// The alternating pattern's guarantees, checked by logging in after the last rotation: who is current and previous,
/// whether both log in, whether tables created through each login belong to the group, and how many generated
/// passwords the server log (log_statement=all) holds.
/// </summary>
public sealed record DemoChecks(
    string Group,
    string CurrentLogin,
    string? PreviousLogin,
    bool CurrentLogsIn,
    bool? PreviousLogsIn,
    string? CurrentTableOwner,
    string? PreviousTableOwner,
    int PasswordsInServerLog,
    int PasswordsGenerated);

using Npgsql;
using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Roles;
using PgRotate.Secrets;
using PgRotate.Store;
using PgRotate.Targets;

namespace PgRotate.Setup;

/// <summary>
/// Registers secrets and sets up their roles on the target (a NOLOGIN group that owns the data and two logins that
/// take turns), idempotently: the first credential is stored as pending before any role changes, all role statements
/// run in one transaction, and the credential is promoted only after a fresh login proves it acts as the group.
/// </summary>
public sealed class SecretSetup(ISecretStore store, TargetConnector connector, TimeProvider time)
{
    private readonly TargetOperations _target = new(connector, time);

    /// <summary>Group names leave room for the "_a"/"_b" suffix of derived login names.</summary>
    private const int GroupNameMaxBytes = RoleName.MaxBytes - 2;

    public async Task<SetupResult> AddAsync(SecretRequest request, bool dryRun, CancellationToken cancellationToken)
    {
        var requested = Describe(request);
        var target = await store.GetTargetAsync(requested.Target, cancellationToken).ConfigureAwait(false);
        var existing = await store.FindSecretAsync(requested.Name, cancellationToken).ConfigureAwait(false);
        if (existing is not null && !existing.SameShapeAs(requested))
        {
            throw new PgRotateException(ErrorCode.AlreadyExists,
                $"secret {requested.Name} already exists with other settings ({existing.Strategy.WireName()} group {existing.Group} on {existing.Target}); pgrotate secret show {requested.Name} shows them");
        }

        var secret = existing ?? requested;
        var versions = existing is null ? [] : await store.ListVersionsAsync(secret.Name, cancellationToken).ConfigureAwait(false);
        var current = versions.FirstOrDefault(v => v.Stage == Stage.Current);
        var pending = versions.FirstOrDefault(v => v.Stage == Stage.Pending);

        // The first credential: resumed from the store after an interrupted run, else generated now.
        var first = current is not null ? null : pending ?? new SecretVersion(secret.Name, 1, secret.LoginA.Value,
            PasswordGenerator.Generate(), Stage.Pending, time.GetUtcNow(), null, null);

        var connection = await connector.OpenAdminAsync(target, cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var roles = await RoleCatalog.ReadAsync(connection, [secret.Group.Value, .. secret.Logins.Select(l => l.Value)], cancellationToken).ConfigureAwait(false);
        var adminRole = await RoleCatalog.SessionUserAsync(connection, cancellationToken).ConfigureAwait(false);
        var iterations = await _target.ScramIterationsAsync(target, cancellationToken).ConfigureAwait(false);
        // The first credential goes to its login; a current login that was dropped is recreated with its password, so
        // rerunning secret add mends it and the clients using it.
        var withPassword = first ?? (current is not null && !roles.ContainsKey(current.Username) ? current : null);
        var password = withPassword is null ? null
            : new LoginPassword(RoleName.Parse(withPassword.Username), ScramVerifier.Create(withPassword.Password, iterations));
        var isNew = existing is null;
        var adopt = request.Adopt || secret.Adoption != Adoption.None;
        var plan = RoleSetupPlanner.Plan(secret, roles, adminRole, password, adopt, known: !isNew);
        // Roles pgrotate must never manage are refused by the plan above, before their privileges are judged (a rotator
        // would otherwise be told to grant itself to itself); what is missing is still reported before any change.
        await RotatorPrivileges.EnsureSufficientAsync(connection, secret, target.Name, cancellationToken).ConfigureAwait(false);
        if (isNew)
        {
            secret = secret with { Adoption = AdoptionOf(secret, roles, plan, request.Adopt) };
        }

        var requiresAdopt = plan.Adoptions.Count > 0 && !request.Adopt && isNew;
        if (dryRun)
        {
            return new SetupResult(secret, plan.Statements, DryRun: true, Stored: false, current?.Username ?? first?.Username, plan.Adoptions, requiresAdopt);
        }

        if (requiresAdopt)
        {
            throw new PgRotateException(ErrorCode.IncompatibleState,
                $"secret {secret.Name} would take over existing {(plan.Adoptions.Count == 1 ? "role" : "roles")} on target {secret.Target}: " +
                string.Join("; ", plan.Adoptions.Select(a => $"{a.Role} {a.Change}")) +
                ". Another application may be using them: review with --dry-run, and add --adopt to take them over");
        }

        // Roles this run creates; if the new secret's first login then fails, they are dropped again, so that a rerun
        // meets the target as it was and needs no --adopt for roles nobody else ever had.
        var created = isNew ? secret.Logins.Prepend(secret.Group).Where(r => !roles.ContainsKey(r.Value)).Distinct().ToList() : [];
        var applied = false;
        if (isNew)
        {
            await store.AddSecretAsync(secret, first!, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await _target.ApplyAsync(target, plan.Statements, cancellationToken).ConfigureAwait(false);
            applied = true;
            if (first is not null)
            {
                await new CredentialTester(_target).TestAsync(target, secret, first, withCheckSql: true, cancellationToken).ConfigureAwait(false);
                await store.PromoteAsync(new Promotion(secret.Name, first.Number, null, secret.Schedule?.NextAfter(time.GetUtcNow()),
                    $"first credential, login {first.Username}", Event: "activated"), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (isNew)
        {
            // Nothing half-written: a secret whose setup failed is not left in the store, nor are the roles it created.
            await store.DeleteSecretAsync(secret.Name, CancellationToken.None).ConfigureAwait(false);
            if (applied && created.Count > 0)
            {
                await DropCreatedRolesAsync(target, created, e).ConfigureAwait(false);
            }

            throw;
        }

        return new SetupResult(secret, plan.Statements, DryRun: false, Stored: isNew || first is not null, current?.Username ?? first?.Username, plan.Adoptions);
    }

    /// <summary>
    /// How a new secret stands towards the roles it takes over: an adopted LOGIN group keeps logging in for its old
    /// clients until adopt-finish; anything else adopted (a single role, existing logins under a NOLOGIN group) is
    /// taken over completely by this run, so there is nothing left to finish.
    /// </summary>
    private static Adoption AdoptionOf(Secret secret, IReadOnlyDictionary<string, RoleState> roles, RolePlan plan, bool adopt)
    {
        if (!adopt)
        {
            return Adoption.None;
        }

        if (plan.Adoptions.Count == 0)
        {
            var names = string.Join(", ", secret.Logins.Prepend(secret.Group).Distinct());
            throw new PgRotateException(ErrorCode.IncompatibleState,
                $"--adopt takes over existing roles, but none of {names} on target {secret.Target} is one pgrotate would take over; drop --adopt to create them");
        }

        return RotationStrategies.For(secret).AdoptionAfterSetup(secret, roles);
    }

    /// <summary>
    /// Undoes the CREATE ROLEs of a new secret whose first login failed, in one transaction. If that fails too, the
    /// error says which roles were left behind.
    /// </summary>
    private async Task DropCreatedRolesAsync(Target target, IReadOnlyList<RoleName> created, Exception cause)
    {
        // Members before the group they belong to.
        var statements = created.Reverse().Select(RoleSql.DropIfExists).ToList();
        try
        {
            await _target.ApplyAsync(target, statements, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var code = cause is PgRotateException known ? known.Code : ErrorCode.PostgresError;
            throw new PgRotateException(code,
                $"{cause.Message}; the roles it created ({string.Join(", ", created)}) could not be dropped again ({e.Message}): drop them by hand, or rerun with --adopt", cause);
        }
    }

    private Secret Describe(SecretRequest request)
    {
        var name = SecretName.ParseSecret(request.Name);
        var target = SecretName.ParseTarget(request.Target);
        var strategy = RotationStrategies.For(request.Strategy);
        var derive = strategy.DerivesLoginNames(request.LoginA, request.LoginB);
        var group = RoleName.Parse(request.Group, "group role name", derive ? GroupNameMaxBytes : RoleName.MaxBytes);
        var (loginA, loginB) = strategy.LoginsFor(group, request.LoginA, request.LoginB);

        if (request.Grace is { } grace && grace < TimeSpan.Zero)
        {
            throw PgRotateException.InvalidInput("--grace cannot be negative");
        }

        return new Secret(name, target, request.Strategy, group, loginA, loginB, request.Schedule, request.Grace,
            string.IsNullOrWhiteSpace(request.CheckSql) ? null : request.CheckSql,
            request.Adopt ? Adoption.Adopting : Adoption.None, time.GetUtcNow(), null);
    }

    /// <summary>
    /// Ends an adoption: once no session of the old single login has been seen for <paramref name="quietPeriod"/>,
    /// the group role stops being able to log in. Sessions still open are listed instead. Returns false, touching
    /// nothing, when the adoption was already finished (a rerun, e.g. from a script, is not an error).
    /// </summary>
    public async Task<bool> FinishAdoptionAsync(string name, TimeSpan quietPeriod, TimeSpan pollInterval, IProgress<TimeSpan>? progress, CancellationToken cancellationToken)
    {
        var secret = await store.GetSecretAsync(SecretName.ParseSecret(name), cancellationToken).ConfigureAwait(false);
        if (secret.Adoption == Adoption.Adopted)
        {
            return false;
        }

        if (secret.Adoption != Adoption.Adopting)
        {
            throw new PgRotateException(ErrorCode.IncompatibleState,
                $"secret {secret.Name} adopted no role, so there is no adoption to finish (secret add without --adopt created its roles)");
        }

        var target = await store.GetTargetAsync(secret.Target, cancellationToken).ConfigureAwait(false);
        var connection = await connector.OpenAdminAsync(target, cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var started = time.GetTimestamp();
        while (true)
        {
            var sessions = await SessionsOfAsync(connection, secret.Group.Value, cancellationToken).ConfigureAwait(false);
            if (sessions.Count > 0)
            {
                throw new PgRotateException(ErrorCode.ClientsStillConnected,
                    $"role {secret.Group} still has sessions: {string.Join("; ", sessions)}. Move those clients to the credential of secret {secret.Name} ('pgrotate get {secret.Name}') and run adopt-finish again");
            }

            var quiet = time.GetElapsedTime(started);
            progress?.Report(quiet);
            if (quiet >= quietPeriod)
            {
                break;
            }

            var wait = quietPeriod - quiet < pollInterval ? quietPeriod - quiet : pollInterval;
            await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
        }

        await _target.ApplyAsync(target, [RoleSql.NoLogin(secret.Group)], cancellationToken).ConfigureAwait(false);
        await store.SetAdoptionAsync(secret.Name, Adoption.Adopted, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Open sessions logged in as <paramref name="role"/>, described by application name and client address. Any role
    /// sees who is logged in and the application name, but the address (and port, -1 for a Unix socket) only with
    /// privileges of that role or pg_read_all_stats; a null address is therefore not a local socket.
    /// </summary>
    internal static async Task<IReadOnlyList<string>> SessionsOfAsync(NpgsqlConnection connection, string role, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(
            """
            SELECT coalesce(nullif(application_name, ''), '(no application_name)'),
                   CASE WHEN client_port = -1 THEN 'local socket'
                        ELSE coalesce(host(client_addr), 'an address hidden from ' || current_user || ' (pg_read_all_stats shows it)') END,
                   count(*)
            FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()
            GROUP BY 1, 2 ORDER BY 1, 2
            """, connection);
        await using var closeCommand = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter { Value = role });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        var sessions = new List<string>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            sessions.Add($"{reader.GetString(0)} from {reader.GetString(1)} ({reader.GetInt64(2)})");
        }

        return sessions;
    }
}

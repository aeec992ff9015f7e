using Microsoft.Data.Sqlite;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Scheduling;
using PgRotate.Secrets;

namespace PgRotate.Store;

public sealed partial class SqliteStore
{
    private const string SecretColumns =
        "name, target, strategy, group_role, login_a, login_b, schedule, grace_ms, check_sql, adoption, created_at, next_rotation_at";

    /// <summary>
    /// Records a new secret with its first credential as <see cref="Stage.Pending"/>, before any role is touched: a
    /// crash after this point resumes with the same password instead of generating another.
    /// </summary>
    public async Task AddSecretAsync(Secret secret, SecretVersion first, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = BeginWriteTransaction(connection);
        try
        {
            await ExecuteAsync(connection, transaction,
                $"INSERT INTO secrets({SecretColumns}) VALUES ($name, $target, $strategy, $group, $a, $b, $schedule, $grace, $check, $adoption, $created, $next)",
                cancellationToken,
                ("$name", secret.Name), ("$target", secret.Target), ("$strategy", secret.Strategy.WireName()),
                ("$group", secret.Group.Value), ("$a", secret.LoginA.Value), ("$b", secret.LoginB?.Value),
                ("$schedule", secret.Schedule?.Text), ("$grace", (long?)secret.Grace?.TotalMilliseconds), ("$check", secret.CheckSql),
                ("$adoption", AdoptionName(secret.Adoption)), ("$created", Format(secret.CreatedAt)),
                ("$next", secret.NextRotationAt is { } next ? Format(next) : null)).ConfigureAwait(false);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw new PgRotateException(ErrorCode.AlreadyExists, $"secret {secret.Name} already exists", e);
        }

        await InsertVersionAsync(connection, transaction, first, cancellationToken).ConfigureAwait(false);
        await AppendHistoryAsync(connection, transaction, secret.Name, first.Number, "created", $"{secret.Strategy.WireName()} on target {secret.Target}", cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes a secret whose setup failed before any role was changed, so a bad run leaves nothing behind.</summary>
    public async Task DeleteSecretAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = BeginWriteTransaction(connection);
        await ExecuteAsync(connection, transaction, "DELETE FROM versions WHERE secret = $n", cancellationToken, ("$n", name)).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "DELETE FROM history WHERE secret = $n", cancellationToken, ("$n", name)).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "DELETE FROM secrets WHERE name = $n", cancellationToken, ("$n", name)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<Secret?> FindSecretAsync(string name, CancellationToken cancellationToken) =>
        (await QuerySecretsAsync("WHERE name = $n", cancellationToken, ("$n", name)).ConfigureAwait(false)).SingleOrDefault();

    public async Task<Secret> GetSecretAsync(string name, CancellationToken cancellationToken) =>
        await FindSecretAsync(name, cancellationToken).ConfigureAwait(false)
        ?? throw new PgRotateException(ErrorCode.NotFound, $"unknown secret {name}; 'pgrotate secret list' shows the registered ones");

    public Task<IReadOnlyList<Secret>> ListSecretsAsync(CancellationToken cancellationToken) =>
        QuerySecretsAsync("ORDER BY name", cancellationToken);

    public async Task SetAdoptionAsync(string name, Adoption adoption, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = BeginWriteTransaction(connection);
        await ExecuteAsync(connection, transaction, "UPDATE secrets SET adoption = $a WHERE name = $n", cancellationToken, ("$n", name), ("$a", AdoptionName(adoption))).ConfigureAwait(false);
        await AppendHistoryAsync(connection, transaction, name, null, "adoption", AdoptionName(adoption), cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<Secret>> QuerySecretsAsync(string where, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = CreateCommand(connection, null, $"SELECT {SecretColumns} FROM secrets {where}", parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var secrets = new List<Secret>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            secrets.Add(new Secret(
                Name: reader.GetString(0),
                Target: reader.GetString(1),
                Strategy: StrategyNames.Parse(reader.GetString(2)),
                Group: RoleName.Parse(reader.GetString(3)),
                LoginA: RoleName.Parse(reader.GetString(4)),
                LoginB: reader.IsDBNull(5) ? null : RoleName.Parse(reader.GetString(5)),
                Schedule: reader.IsDBNull(6) ? null : Schedule.Parse(reader.GetString(6)),
                Grace: reader.IsDBNull(7) ? null : TimeSpan.FromMilliseconds(reader.GetInt64(7)),
                CheckSql: reader.IsDBNull(8) ? null : reader.GetString(8),
                Adoption: ParseAdoption(reader.GetString(9)),
                CreatedAt: ParseTime(reader.GetString(10)),
                NextRotationAt: reader.IsDBNull(11) ? null : ParseTime(reader.GetString(11))));
        }

        return secrets;
    }

    private static string AdoptionName(Adoption adoption) => adoption switch
    {
        Adoption.None => "none",
        Adoption.Adopting => "adopting",
        _ => "adopted",
    };

    private static Adoption ParseAdoption(string text) => text switch
    {
        "none" => Adoption.None,
        "adopting" => Adoption.Adopting,
        _ => Adoption.Adopted,
    };
}

using Microsoft.Data.Sqlite;
using PgRotate.Store;

namespace PgRotate.Store.Sqlite;

/// <summary>
/// Rows written before they were authenticated get their MACs (see <see cref="StoredValues"/>) on the first open with the right key.
/// </summary>
public sealed partial class SqliteSecretStore
{
    /// <summary>
    /// Computes the missing MACs of a store written before rows were authenticated. A migration cannot do this (it has no key),
    /// so it happens here, on the first open with the right key, after the key check, in one transaction with the
    /// key check's upgrade to its "rows authenticated" form. From then on a row without a valid MAC is refused: a later
    /// open never fills in a missing MAC, because the key check (sealed under the master key) says every row has one.
    /// </summary>
    /// <remarks>
    /// What this trusts: the rows as they are at this first open. Someone who could write the file before the upgrade
    /// (or who kept a copy of its old key check to put back) can get edited rows authenticated here; from a store
    /// created or upgraded by this version on, an edit without the key is detected.
    /// </remarks>
    private async Task AuthenticateExistingRowsAsync(SqliteConnection connection, string legacyKeyCheck, CancellationToken cancellationToken)
    {
        var transaction = BeginWriteTransaction(connection);
        await using var closeTransaction = transaction.ConfigureAwait(false);
        var check = await ScalarAsync<string>(connection, transaction, "SELECT value FROM meta WHERE key = 'key_check'", cancellationToken).ConfigureAwait(false);
        if (check != legacyKeyCheck)
        {
            // Another process upgraded the store between our key check and this transaction.
            return;
        }

        // Only missing MACs are computed; one that is present must already be right.
        var targets = new List<(string Name, byte[] Mac)>();
        var command = CreateCommand(connection, transaction, "SELECT name, connection_string, username, mac FROM targets", []);
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var closeReader = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var (name, connectionString, username) = (reader.GetString(0), reader.GetString(1), reader.GetString(2));
                if (reader.IsDBNull(3))
                {
                    targets.Add((name, _values.TargetMac(name, connectionString, username)));
                }
                else
                {
                    _values.VerifyTargetRow((byte[])reader.GetValue(3), name, connectionString, username);
                }
            }
        }

        var secrets = new List<(string Name, byte[] Mac)>();
        command = CreateCommand(connection, transaction, "SELECT name, target, strategy, group_role, login_a, login_b, mac FROM secrets", []);
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var closeReader = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var (name, target, strategy, group, loginA, loginB) =
                    (reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5));
                if (reader.IsDBNull(6))
                {
                    secrets.Add((name, _values.SecretMac(name, target, strategy, group, loginA, loginB)));
                }
                else
                {
                    _values.VerifySecretRow((byte[])reader.GetValue(6), name, target, strategy, group, loginA, loginB);
                }
            }
        }

        foreach (var (name, mac) in targets)
        {
            await ExecuteAsync(connection, transaction, "UPDATE targets SET mac = $m WHERE name = $n", cancellationToken, ("$n", name), ("$m", mac)).ConfigureAwait(false);
        }

        foreach (var (name, mac) in secrets)
        {
            await ExecuteAsync(connection, transaction, "UPDATE secrets SET mac = $m WHERE name = $n", cancellationToken, ("$n", name), ("$m", mac)).ConfigureAwait(false);
        }

        await ExecuteAsync(connection, transaction, "UPDATE meta SET value = $v WHERE key = 'key_check'", cancellationToken,
            ("$v", _values.SealKeyCheck())).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}

using Microsoft.Data.Sqlite;
using PgRotate.Crypto;
using PgRotate.Errors;

namespace PgRotate.Store;

/// <summary>
/// Row authentication: each target and secret row carries an HMAC (column <c>mac</c>) over the fields that decide
/// where a password is sent and which role is altered, checked on every read before anything connects.
/// </summary>
/// <remarks>
/// A MAC column rather than binding these fields into the associated data of the sealed passwords: a secret row holds
/// no sealed value of its own (its passwords live in the versions), so binding would mean decrypting a version, with
/// every damaged or retired one then blocking reads of the secret; and changing a target's connection string would
/// mean re-sealing its password. A MAC is checked without decrypting anything and is recomputed with the row.
/// Columns that pgrotate changes as a matter of course (schedule, grace, check query, next rotation, adoption, stages)
/// are not covered: they do not decide which server or role is used.
/// </remarks>
public sealed partial class SqliteStore
{
    private const string TargetRowKind = "target";
    private const string SecretRowKind = "secret";

    private byte[] TargetMac(string name, string connectionString, string username) =>
        _rows.Compute(TargetRowKind, name, connectionString, username);

    private byte[] SecretMac(string name, string target, string strategy, string group, string loginA, string? loginB) =>
        _rows.Compute(SecretRowKind, name, target, strategy, group, loginA, loginB);

    private void VerifyTargetRow(byte[]? mac, string name, string connectionString, string username)
    {
        if (!_rows.Verify(mac, TargetRowKind, name, connectionString, username))
        {
            throw RowModified($"target {Printable(name)}");
        }
    }

    private void VerifySecretRow(byte[]? mac, string name, string target, string strategy, string group, string loginA, string? loginB)
    {
        if (!_rows.Verify(mac, SecretRowKind, name, target, strategy, group, loginA, loginB))
        {
            throw RowModified($"secret {Printable(name)}");
        }
    }

    private PgRotateException RowModified(string row) => new(ErrorCode.StoreCorrupt,
        $"{row} in store {Path} was modified outside pgrotate (its authentication does not match); restore the store from a backup. Nothing was connected to or changed");

    /// <summary>
    /// Opens a sealed value of a row. The key check has already proved the master key right, so a value that does not
    /// authenticate was damaged or moved: reported as a damaged store naming the row, not as a wrong key.
    /// </summary>
    private SecretText OpenSealed(byte[] sealedValue, string associatedData, string row)
    {
        try
        {
            return _envelope.OpenText(sealedValue, associatedData);
        }
        catch (PgRotateException e) when (e.Code is ErrorCode.MasterKeyMismatch or ErrorCode.StoreCorrupt)
        {
            throw new PgRotateException(ErrorCode.StoreCorrupt,
                $"{row} in store {Path} is damaged (its encrypted value does not authenticate); restore the store from a backup", e);
        }
    }

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
        await using var transaction = BeginWriteTransaction(connection);
        var check = await ScalarAsync<string>(connection, transaction, "SELECT value FROM meta WHERE key = 'key_check'", cancellationToken).ConfigureAwait(false);
        if (check != legacyKeyCheck)
        {
            // Another process upgraded the store between our key check and this transaction.
            return;
        }

        // Only missing MACs are computed; one that is present must already be right.
        var targets = new List<(string Name, byte[] Mac)>();
        await using (var command = CreateCommand(connection, transaction, "SELECT name, connection_string, username, mac FROM targets", []))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var (name, connectionString, username) = (reader.GetString(0), reader.GetString(1), reader.GetString(2));
                if (reader.IsDBNull(3))
                {
                    targets.Add((name, TargetMac(name, connectionString, username)));
                }
                else
                {
                    VerifyTargetRow((byte[])reader.GetValue(3), name, connectionString, username);
                }
            }
        }

        var secrets = new List<(string Name, byte[] Mac)>();
        await using (var command = CreateCommand(connection, transaction, "SELECT name, target, strategy, group_role, login_a, login_b, mac FROM secrets", []))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var (name, target, strategy, group, loginA, loginB) =
                    (reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5));
                if (reader.IsDBNull(6))
                {
                    secrets.Add((name, SecretMac(name, target, strategy, group, loginA, loginB)));
                }
                else
                {
                    VerifySecretRow((byte[])reader.GetValue(6), name, target, strategy, group, loginA, loginB);
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
            ("$v", SealKeyCheck())).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A name read from the file, made safe for a one-line message (an edited row may hold anything).</summary>
    private static string Printable(string text) =>
        string.Concat(text.Take(128).Select(c => char.IsControl(c) ? '?' : c));
}

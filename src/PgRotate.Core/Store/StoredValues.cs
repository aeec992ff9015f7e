using PgRotate.Crypto;
using PgRotate.Errors;

namespace PgRotate.Store;

/// <summary>
/// How every store seals and authenticates what it keeps, so that all stores write the same thing: the associated
/// data binding each sealed password to its row, the fields each row MAC covers, and the key check that proves the
/// master key right before anything is read or written. Messages name the store by <paramref name="location"/>.
/// </summary>
/// <remarks>
/// Rows carry a MAC (rather than binding these fields into the associated data of the sealed passwords) because a
/// secret row holds no sealed value of its own, and a target's connection string changes without its password
/// changing. A MAC is checked without decrypting anything. Columns that pgrotate changes as a matter of course
/// (schedule, grace, check query, next rotation, adoption, stages) are not covered: they do not decide which server
/// or role is used.
/// </remarks>
public sealed class StoredValues(MasterKey key, string location)
{
    // The key check's associated data also says whether every target and secret row carries a MAC: a store written
    // before rows were authenticated has the legacy form, and is upgraded to the current one on its first open.
    private const string LegacyKeyCheckAssociatedData = "store:key-check";
    private const string KeyCheckAssociatedData = "store:key-check:rows-authenticated";
    private const string KeyCheckPlaintext = "pgrotate";
    private const string TargetRowKind = "target";
    private const string SecretRowKind = "secret";
    private const string TokenRowKind = "token";
    private const string LeaseRowKind = "lease";
    private const string LeaseSettingsRowKind = "lease-settings";

    private readonly Envelope _envelope = new(key);
    private readonly RowAuthenticator _rows = new(key);

    /// <summary>What a stored key check proves.</summary>
    public enum KeyCheck
    {
        /// <summary>The key is right and every row carries a MAC.</summary>
        Current,

        /// <summary>The key is right; the store was written before rows were authenticated (see <see cref="SealKeyCheck"/>).</summary>
        Legacy,
    }

    // Version passwords.

    public byte[] SealVersionPassword(string secret, int version, string username, SecretText password) =>
        _envelope.SealText(password, VersionPasswordData(secret, version, username));

    /// <summary>Opens a version's password; this also authenticates its login name, which is part of the associated data.</summary>
    public SecretText OpenVersionPassword(byte[] sealedValue, string secret, int version, string username) =>
        OpenSealed(sealedValue, VersionPasswordData(secret, version, username), $"version {version} (login {Printable(username)}) of secret {Printable(secret)}");

    // Target passwords.

    public byte[] SealTargetPassword(string target, SecretText password) => _envelope.SealText(password, TargetPasswordData(target));

    public SecretText OpenTargetPassword(byte[] sealedValue, string target) =>
        OpenSealed(sealedValue, TargetPasswordData(target), $"the admin password of target {Printable(target)}");

    /// <summary>
    /// Opens an admin password that an interrupted <c>target rotate-admin</c> left in the targets table, where stores
    /// before admin passwords were versioned kept it; each store moves it into the versions table on its first open.
    /// </summary>
    public SecretText OpenLegacyPendingAdminPassword(byte[] sealedValue, string target) =>
        OpenSealed(sealedValue, LegacyPendingAdminPasswordData(target), $"the pending admin password of target {Printable(target)}");

    // Admin versions: a target's admin password, versioned beside secrets' credentials (see VersionOwner).

    internal byte[] SealAdminVersionPassword(string target, int version, string username, SecretText password) =>
        _envelope.SealText(password, AdminVersionPasswordData(target, version, username));

    /// <summary>Opens an admin version's password; this also authenticates its admin user, which is part of the associated data.</summary>
    internal SecretText OpenAdminVersionPassword(byte[] sealedValue, string target, int version, string username) =>
        OpenSealed(sealedValue, AdminVersionPasswordData(target, version, username), $"admin version {version} (user {Printable(username)}) of target {Printable(target)}");

    /// <summary>Seals a version's password for its owner: the owner kind is part of the associated data, so a secret's version cannot pass for a target's.</summary>
    public byte[] SealVersionPassword(VersionOwner owner, string name, int version, string username, SecretText password) => owner == VersionOwner.Target
        ? SealAdminVersionPassword(name, version, username, password)
        : SealVersionPassword(name, version, username, password);

    public SecretText OpenVersionPassword(VersionOwner owner, byte[] sealedValue, string name, int version, string username) => owner == VersionOwner.Target
        ? OpenAdminVersionPassword(sealedValue, name, version, username)
        : OpenVersionPassword(sealedValue, name, version, username);

    // Row MACs.

    public byte[] TargetMac(string name, string connectionString, string username) =>
        _rows.Compute(TargetRowKind, name, connectionString, username);

    public byte[] SecretMac(string name, string target, string strategy, string group, string loginA, string? loginB) =>
        _rows.Compute(SecretRowKind, name, target, strategy, group, loginA, loginB);

    public void VerifyTargetRow(byte[]? mac, string name, string connectionString, string username)
    {
        if (!_rows.Verify(mac, TargetRowKind, name, connectionString, username))
        {
            throw RowModified($"target {Printable(name)}");
        }
    }

    public void VerifySecretRow(byte[]? mac, string name, string target, string strategy, string group, string loginA, string? loginB)
    {
        if (!_rows.Verify(mac, SecretRowKind, name, target, strategy, group, loginA, loginB))
        {
            throw RowModified($"secret {Printable(name)}");
        }
    }

    /// <summary>
    /// A token row's MAC covers everything that decides what the token may do: its name, hash, policies, end and
    /// revocation (times as Unix milliseconds, which every store keeps exactly), so that a token cannot be planted,
    /// widened, extended or un-revoked by editing the store without the master key.
    /// </summary>
    public byte[] TokenMac(Access.StoredToken token) => _rows.Compute(TokenRowKind, TokenFields(token));

    /// <summary>A stored token row, authenticated before it is believed.</summary>
    public Access.StoredToken OpenTokenRow(Access.StoredToken token, byte[]? mac) =>
        _rows.Verify(mac, TokenRowKind, TokenFields(token)) ? token : throw RowModified($"token {Printable(token.Name)}");

    /// <summary>A token row's policies as stored; policies that do not parse were not written by pgrotate.</summary>
    public IReadOnlyList<Access.TokenPolicy> ParseTokenPolicies(string name, string text)
    {
        try
        {
            return [.. text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(Access.TokenPolicy.Parse)];
        }
        catch (Errors.PgRotateException e) when (e.Code == Errors.ErrorCode.InvalidInput)
        {
            throw new Errors.PgRotateException(Errors.ErrorCode.StoreCorrupt, $"token {Printable(name)} in store {location} holds a policy pgrotate does not know; restore the store from a backup", e);
        }
    }

    private static string?[] TokenFields(Access.StoredToken token) =>
    [
        token.Name, Convert.ToHexStringLower(token.Hash), string.Join(' ', token.Policies),
        token.ExpiresAt?.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
        token.RevokedAt?.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
    ];

    /// <summary>
    /// A stored secret row as a <see cref="Secrets.Secret"/>: authenticated first, so an edited row is reported as such
    /// rather than as whatever parsing its edited fields would say.
    /// </summary>
    public Secrets.Secret OpenSecretRow(StoredSecretRow row)
    {
        VerifySecretRow(row.Mac, row.Name, row.Target, row.Strategy, row.Group, row.LoginA, row.LoginB);
        return new Secrets.Secret(
            Name: row.Name,
            Target: row.Target,
            Strategy: Secrets.StrategyNames.Parse(row.Strategy),
            Group: Postgres.RoleName.Parse(row.Group),
            LoginA: Postgres.RoleName.Parse(row.LoginA),
            LoginB: row.LoginB is null ? null : Postgres.RoleName.Parse(row.LoginB),
            Schedule: row.Schedule is null ? null : Scheduling.Schedule.Parse(row.Schedule),
            Grace: row.GraceMs is { } grace ? TimeSpan.FromMilliseconds(grace) : null,
            CheckSql: row.CheckSql,
            Adoption: Secrets.AdoptionNames.Parse(row.Adoption),
            CreatedAt: row.CreatedAt,
            NextRotationAt: row.NextRotationAt);
    }

    // Leases (see Leases/ILeaseStore.cs).

    /// <summary>A lease's password, bound to the lease, its secret and its role.</summary>
    public byte[] SealLeasePassword(string id, string secret, string role, SecretText password) =>
        _envelope.SealText(password, LeasePasswordData(id, secret, role));

    public SecretText OpenLeasePassword(byte[] sealedValue, string id, string secret, string role) =>
        OpenSealed(sealedValue, LeasePasswordData(id, secret, role), $"the password of lease {Printable(id)}");

    /// <summary>A lease row's MAC covers what decides which role is dropped and whose token ends it: id, secret, role, issuer.</summary>
    public byte[] LeaseMac(Leases.Lease lease) => _rows.Compute(LeaseRowKind, lease.Id, lease.Secret, lease.Role, lease.IssuedBy);

    /// <summary>A stored lease row, authenticated before it is believed.</summary>
    public Leases.Lease OpenLeaseRow(Leases.Lease lease, byte[]? mac) =>
        _rows.Verify(mac, LeaseRowKind, lease.Id, lease.Secret, lease.Role, lease.IssuedBy) ? lease : throw RowModified($"lease {Printable(lease.Id)}");

    /// <summary>The lease settings' MAC covers all of them: the name template decides which roles the orphan sweep may drop.</summary>
    public byte[] LeaseSettingsMac(Leases.LeaseSettings settings) => _rows.Compute(LeaseSettingsRowKind, LeaseSettingsFields(settings));

    /// <summary>
    /// Reads a secret's lease settings from a reader over <c>default_ttl_ms, max_ttl_ms, name_template, mac</c> (the
    /// same columns in every store) and checks the row's MAC; no row means the secret is not dynamic.
    /// </summary>
    public async Task<Leases.LeaseSettings> ReadLeaseSettingsAsync(System.Data.Common.DbDataReader reader, string secret, CancellationToken cancellationToken)
    {
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new PgRotateException(ErrorCode.NotFound, $"secret {secret} has no lease settings: only dynamic secrets have leases");
        }

        var settings = new Leases.LeaseSettings(secret, TimeSpan.FromMilliseconds(reader.GetInt64(0)), TimeSpan.FromMilliseconds(reader.GetInt64(1)), reader.GetString(2));
        return OpenLeaseSettingsRow(settings, reader.IsDBNull(3) ? null : (byte[])reader.GetValue(3));
    }

    public Leases.LeaseSettings OpenLeaseSettingsRow(Leases.LeaseSettings settings, byte[]? mac) =>
        _rows.Verify(mac, LeaseSettingsRowKind, LeaseSettingsFields(settings)) ? settings : throw RowModified($"the lease settings of secret {Printable(settings.Secret)}");

    private static string?[] LeaseSettingsFields(Leases.LeaseSettings settings) =>
    [
        settings.Secret, settings.NameTemplate,
        ((long)settings.DefaultTtl.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ((long)settings.MaxTtl.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
    ];

    private static string LeasePasswordData(string id, string secret, string role) => $"lease:{id}:{secret}:{role}";

    // Key check.

    /// <summary>The key check a store keeps beside the key id (base64): it opens only under this master key.</summary>
    public string SealKeyCheck() => Convert.ToBase64String(_envelope.SealText(new SecretText(KeyCheckPlaintext), KeyCheckAssociatedData));

    /// <summary>
    /// Proves the master key right against the stored key id and key check, before anything else is read: a different
    /// key id or a check that does not open is <c>MasterKeyMismatch</c>, a malformed check <c>StoreCorrupt</c>.
    /// </summary>
    public KeyCheck CheckKey(string storedKeyId, string storedCheck)
    {
        if (storedKeyId != key.KeyId)
        {
            throw new PgRotateException(ErrorCode.MasterKeyMismatch,
                $"the master key (id {key.KeyId}) is not the one store {location} was created with (id {Printable(storedKeyId)}); nothing was decrypted or changed");
        }

        byte[] sealedCheck;
        try
        {
            sealedCheck = Convert.FromBase64String(storedCheck);
        }
        catch (FormatException e)
        {
            throw new PgRotateException(ErrorCode.StoreCorrupt, $"store {location} is damaged (truncated or corrupted); restore it from a backup. Nothing was changed", e);
        }

        if (OpensKeyCheck(sealedCheck, KeyCheckAssociatedData))
        {
            return KeyCheck.Current;
        }

        if (OpensKeyCheck(sealedCheck, LegacyKeyCheckAssociatedData))
        {
            return KeyCheck.Legacy;
        }

        throw new PgRotateException(ErrorCode.MasterKeyMismatch, $"the master key does not open store {location}");
    }

    /// <summary>What every store says when a target to be removed is still used by secrets and --force was not given.</summary>
    public static PgRotateException TargetInUse(string name, IReadOnlyCollection<string> secrets) => new(ErrorCode.IncompatibleState,
        $"target {name} is used by {secrets.Count} secret(s): {string.Join(", ", secrets.Select(Printable))}; remove them first ('pgrotate secret remove NAME'), or use --force to remove them with the target (their roles stay as they are)");

    /// <summary>A name read from a store, made safe for a one-line message (an edited row may hold anything).</summary>
    public static string Printable(string text) =>
        string.Concat(text.Take(128).Select(c => char.IsControl(c) ? '?' : c));

    private static string VersionPasswordData(string secret, int version, string username) => $"secret:{secret}:version:{version}:{username}";

    private static string TargetPasswordData(string target) => $"target:{target}:password";

    private static string LegacyPendingAdminPasswordData(string target) => $"target:{target}:pending-password";

    private static string AdminVersionPasswordData(string target, int version, string username) => $"target:{target}:version:{version}:{username}";

    private bool OpensKeyCheck(byte[] sealedCheck, string associatedData)
    {
        try
        {
            return _envelope.OpenText(sealedCheck, associatedData).Reveal() == KeyCheckPlaintext;
        }
        catch (PgRotateException e) when (e.Code == ErrorCode.MasterKeyMismatch)
        {
            return false;
        }
    }

    private PgRotateException RowModified(string row) => new(ErrorCode.StoreCorrupt,
        $"{row} in store {location} was modified outside pgrotate (its authentication does not match); restore the store from a backup. Nothing was connected to or changed");

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
                $"{row} in store {location} is damaged (its encrypted value does not authenticate); restore the store from a backup", e);
        }
    }
}

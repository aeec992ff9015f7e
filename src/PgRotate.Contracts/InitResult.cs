namespace PgRotate.Contracts;

/// <summary>What <c>init</c> created: the store, and where its master key is.</summary>
/// <param name="Store">The store's location (a file path, or a PostgreSQL address without its password).</param>
/// <param name="Key">The key file written, or <c>$PGROTATE_MASTER_KEY</c> when the key came from the environment.</param>
/// <param name="KeyId">The id of the master key, which the store records and checks on every open.</param>
/// <param name="AdminToken">The first <c>admin:*</c> token for <c>pgrotate serve</c>, shown this once (the store keeps only its hash).</param>
public sealed record InitResult(string Store, string Key, string KeyId, CreatedToken AdminToken);

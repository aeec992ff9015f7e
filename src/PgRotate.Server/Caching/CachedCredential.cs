namespace PgRotate.Server.Caching;

/// <summary>
/// One stage of a secret as the API answers it: the secret's stored name, the version (null when the secret has none in
/// that stage) and the credential already serialised as the JSON body, shared by every request that reads it.
/// </summary>
internal sealed record CachedCredential(string Secret, int? Version, ReadOnlyMemory<byte> Json);

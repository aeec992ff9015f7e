namespace PgRotate.Leases;

/// <summary>Which leases <see cref="ILeaseStore.ListLeasesAsync"/> returns: of one secret, issued by one actor, with or without ended ones.</summary>
public sealed record LeaseFilter(string? Secret = null, string? IssuedBy = null, bool IncludeRevoked = false);

using PgRotate.Errors;
using PgRotate.Leases;
using PgRotate.Postgres;

namespace PgRotate.Server.VaultCompatibility;

/// <summary>
/// Lease ids in Vault's form, <c>MOUNT/creds/ROLE/ID</c> (<c>database/creds/orders/app/lease_…</c>): Vault clients keep
/// them whole and hand them back to <c>sys/leases</c>. The last part is pgrotate's lease id; the role between must be
/// the lease's secret.
/// </summary>
internal static class VaultLeaseIds
{
    public static string Format(string mount, Lease lease) => $"{mount}/creds/{lease.Secret}/{lease.Id}";

    /// <summary>The secret named in <paramref name="text"/> and pgrotate's lease id; <c>invalid_input</c> when it is not one of this mount's lease ids.</summary>
    public static (string Secret, string Id) Parse(string mount, string? text)
    {
        var prefix = mount + "/creds/";
        var last = text?.LastIndexOf('/') ?? -1;
        if (text is null || !text.StartsWith(prefix, StringComparison.Ordinal) || last <= prefix.Length)
        {
            throw PgRotateException.InvalidInput($"invalid lease ID {Sql.Printable(text ?? "")}: lease ids of this server look like {prefix}ROLE/{LeaseIds.Prefix}…");
        }

        return (text[prefix.Length..last], LeaseIds.Parse(text[(last + 1)..]));
    }
}

namespace PgRotate.Access;

/// <summary>The names capabilities have in policies (<c>read:orders/*</c>) and in the store.</summary>
internal static class CapabilityNames
{
    public static string WireName(this Capability capability) => capability switch
    {
        Capability.Read => "read",
        Capability.Rotate => "rotate",
        Capability.Lease => "lease",
        Capability.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(capability), capability, null),
    };

    public static Capability? Parse(string name) => name switch
    {
        "read" => Capability.Read,
        "rotate" => Capability.Rotate,
        "lease" => Capability.Lease,
        "admin" => Capability.Admin,
        _ => null,
    };
}

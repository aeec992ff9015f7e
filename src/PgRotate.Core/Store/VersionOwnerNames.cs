namespace PgRotate.Store;

/// <summary>How every store writes a <see cref="VersionOwner"/> in its <c>owner</c> columns.</summary>
public static class VersionOwnerNames
{
    public const string Secret = "secret";
    public const string Target = "target";

    public static string WireName(this VersionOwner owner) => owner switch
    {
        VersionOwner.Secret => Secret,
        VersionOwner.Target => Target,
        _ => throw new ArgumentOutOfRangeException(nameof(owner), owner, null),
    };
}
